import type { DataSource, EntityTarget, ObjectLiteral } from 'typeorm';

/**
 * Cuts provider-supplied strings to their column's length. PostgreSQL rejects an over-long
 * varchar (SQLite does not), and one odd value from a cloud API must not fail a whole refresh;
 * cutting before the diff keeps the stored value equal to what the next refresh compares with.
 * Keys (native ids) are never cut: a cut key could collide with another.
 */
export function fitToColumns<R extends object>(dataSource: DataSource, entity: EntityTarget<ObjectLiteral>, records: R[]): R[] {
  const limits = dataSource
    .getMetadata(entity)
    .columns.filter((column) => column.type === 'varchar' && Number(column.length) > 0 && column.propertyName !== 'nativeId')
    .map((column) => [column.propertyName, Number(column.length)] as const);
  return records.map((record) => {
    let fitted: R | null = null;
    for (const [property, length] of limits) {
      const value = (record as Record<string, unknown>)[property];
      if (typeof value === 'string' && value.length > length) {
        fitted ??= { ...record };
        (fitted as Record<string, unknown>)[property] = value.slice(0, length);
      }
    }
    return fitted ?? record;
  });
}
