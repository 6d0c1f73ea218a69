import type { EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata.js';

// Bound parameters per statement: SQLite allows 32766, PostgreSQL 65535; stay clear of both.
const PARAMETER_BUDGET = { sqlite: 30_000, postgres: 60_000 } as const;

const PLAIN_TYPES = new Set<ColumnMetadata['type']>(['varchar', 'integer', 'text']);

/**
 * Set-at-a-time SQL over one entity's table: chunked multi-row upserts, inserts, selects and
 * updates by id, with TypeORM's metadata and driver conversions (dates, JSON, booleans) but
 * not its query builder, which spent most of a 10,000-row write building the statement text
 * one value at a time.
 */
export class EntityTable<E extends ObjectLiteral> {
  private readonly columns: readonly ColumnMetadata[];
  private readonly table: string;
  private readonly budget: number;

  constructor(
    private readonly manager: EntityManager,
    entity: EntityTarget<E>,
  ) {
    const metadata = manager.connection.getMetadata(entity);
    this.columns = metadata.columns;
    this.table = metadata.tablePath
      .split('.')
      .map((part) => this.escape(part))
      .join('.');
    this.budget = manager.connection.options.type === 'postgres' ? PARAMETER_BUDGET.postgres : PARAMETER_BUDGET.sqlite;
  }

  /** Rows whose `where.column` equals `where.value` and, if given, whose `inColumn` is one of its values (chunked; none for an empty list). */
  async select(where: { column: string; value: unknown }, inColumn?: { column: string; values: readonly unknown[] }): Promise<E[]> {
    const list = this.columns.map((column) => this.escape(column.databaseName)).join(', ');
    const base = `SELECT ${list} FROM ${this.table} WHERE ${this.escape(where.column)} = ${this.parameter(0)}`;
    const batches = inColumn ? chunks(inColumn.values, this.budget - 1) : [null];
    const rows: E[] = [];
    for (const batch of batches) {
      const sql = batch ? `${base} AND ${this.escape(inColumn!.column)} IN (${batch.map((_, i) => this.parameter(i + 1)).join(', ')})` : base;
      const raw: Record<string, unknown>[] = await this.manager.query(sql, [where.value, ...(batch ?? [])]);
      for (const record of raw) rows.push(this.hydrate(record));
    }
    return rows;
  }

  /**
   * A keyset page of the non-archived rows matching `where`: up to `limit` ids and native ids after
   * `afterNativeId`, by native id — the order of the (provider_id, native_id) unique index, so each
   * page is an index range read, not a scan and sort of the provider's every row.
   */
  async liveKeysAfter(where: { column: string; value: unknown }, afterNativeId: string, limit: number): Promise<{ id: string; nativeId: string }[]> {
    const sql =
      `SELECT ${this.escape('id')}, ${this.escape('native_id')} FROM ${this.table} WHERE ${this.escape(where.column)} = ${this.parameter(0)}` +
      ` AND ${this.escape('native_id')} > ${this.parameter(1)} AND ${this.escape('archived_at')} IS NULL` +
      ` ORDER BY ${this.escape('native_id')} LIMIT ${Math.max(1, Math.floor(limit))}`;
    const raw: { id: string; native_id: string }[] = await this.manager.query(sql, [where.value, afterNativeId]);
    return raw.map((row) => ({ id: row.id, nativeId: row.native_id }));
  }

  /** INSERT of whole rows, many per statement. */
  insert(rows: readonly E[]): Promise<void> {
    return this.write(rows, '');
  }

  /**
   * INSERT … ON CONFLICT (id) DO UPDATE of whole rows: new and changed rows alike, many per
   * statement. Columns in `keep` are never overwritten.
   */
  upsert(rows: readonly E[], keep: ReadonlySet<string>): Promise<void> {
    const overwrite = this.columns
      .filter((column) => !column.isPrimary && !keep.has(column.databaseName))
      .map((column) => `${this.escape(column.databaseName)} = EXCLUDED.${this.escape(column.databaseName)}`);
    const primary = this.columns.filter((column) => column.isPrimary).map((column) => this.escape(column.databaseName));
    return this.write(rows, ` ON CONFLICT (${primary.join(', ')}) DO UPDATE SET ${overwrite.join(', ')}`);
  }

  /** UPDATE … SET the given properties WHERE id IN (…), chunked. */
  async updateByIds(ids: readonly string[], values: Partial<E>): Promise<void> {
    const assigned = this.columns.filter((column) => column.propertyName in values);
    const set = assigned.map((column, i) => `${this.escape(column.databaseName)} = ${this.parameter(i)}`).join(', ');
    const setParameters = assigned.map((column) => this.persistent(column, values[column.propertyName]));
    const idColumn = this.escape(this.columns.find((column) => column.isPrimary)!.databaseName);
    for (const batch of chunks(ids, this.budget - assigned.length)) {
      const list = batch.map((_, i) => this.parameter(assigned.length + i)).join(', ');
      await this.manager.query(`UPDATE ${this.table} SET ${set} WHERE ${idColumn} IN (${list})`, [...setParameters, ...batch]);
    }
  }

  private async write(rows: readonly E[], suffix: string): Promise<void> {
    const head = `INSERT INTO ${this.table} (${this.columns.map((column) => this.escape(column.databaseName)).join(', ')}) VALUES `;
    for (const batch of chunks(rows, Math.floor(this.budget / this.columns.length))) {
      const parameters: unknown[] = [];
      const tuples: string[] = [];
      for (const row of batch) {
        const placeholders: string[] = [];
        for (const column of this.columns) {
          placeholders.push(this.parameter(parameters.length));
          parameters.push(this.persistent(column, row[column.propertyName]));
        }
        tuples.push(`(${placeholders.join(', ')})`);
      }
      await this.manager.query(head + tuples.join(', ') + suffix, parameters);
    }
  }

  private persistent(column: ColumnMetadata, value: unknown): unknown {
    return this.manager.connection.driver.preparePersistentValue(value ?? null, column);
  }

  private hydrate(record: Record<string, unknown>): E {
    const row: ObjectLiteral = {};
    for (const column of this.columns) {
      const value = record[column.databaseName];
      // Strings and numbers come back as they went in; only dates, JSON and booleans need the
      // driver (which costs a few hundred ms over 10,000 rows when asked for every value).
      row[column.propertyName] = PLAIN_TYPES.has(column.type) ? value : this.manager.connection.driver.prepareHydratedValue(value, column);
    }
    return row as E;
  }

  private parameter(index: number): string {
    return this.manager.connection.driver.createParameter(`p${index}`, index);
  }

  private escape(name: string): string {
    return this.manager.connection.driver.escape(name);
  }
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let i = 0; i < items.length; i += size) result.push(items.slice(i, i + size));
  return result;
}
