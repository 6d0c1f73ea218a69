import type { DataSource, EntityMetadata, ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import type { VmEntity } from '../entities/index.js';

/**
 * A VM as `GET /vms` lists it: every column but `details`, timestamps as the ISO-8601 text
 * their JSON carries (what `Date#toJSON` would have written). Read as raw rows, never hydrated
 * into entities: TypeORM's per-column hydration was the largest cost of a page.
 */
export type VmListRow = Omit<VmEntity, 'details' | 'archivedAt' | 'createdAt' | 'updatedAt' | 'createdAtProvider'> & {
  archivedAt: string | null;
  createdAt: string;
  updatedAt: string;
  createdAtProvider: string | null;
};

type Kind = 'plain' | 'json' | 'timestamp';

interface ListedColumn {
  property: string;
  kind: Kind;
  /** What to select for it, as a query builder expression. */
  select: string;
}

/**
 * PostgreSQL answers a timestamp as the text `Date#toJSON` writes (UTC, milliseconds truncated as
 * node-postgres truncates them), so that no row pays for a Date parsed and written out again.
 */
export const PG_ISO_TIME_FORMAT = 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"';

// How TypeORM writes a Date to SQLite (UTC, milliseconds): the one text the fast path rewrites.
const SQLITE_DATETIME = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}$/;

/**
 * Maps raw rows selected with each listed column aliased by its property name to `VmListRow`s,
 * converting values exactly as entity hydration would (JSON text parsed; timestamps the ISO text
 * of the Date the driver or TypeORM would make), without building the entity.
 */
export class VmListRowMapper {
  readonly columns: readonly ListedColumn[];
  private readonly postgres: boolean;

  /** `alias`: the query builder's alias of the vms table. */
  constructor(metadata: EntityMetadata, dataSource: DataSource, alias: string) {
    this.postgres = dataSource.options.type === 'postgres';
    this.columns = metadata.columns
      .filter((column) => column.propertyName !== 'details')
      .map((column) => {
        const kind: Kind = column.type === Date ? 'timestamp' : column.type === 'simple-json' ? 'json' : 'plain';
        const path = `${alias}.${column.propertyName}`;
        return { property: column.propertyName, kind, select: kind === 'timestamp' && this.postgres ? `to_char(${path} AT TIME ZONE 'UTC', :isoTimeFormat)` : path };
      });
  }

  /** Selects every listed column, aliased by its property, on a query builder of `alias`. */
  selectOn<T extends ObjectLiteral>(qb: SelectQueryBuilder<T>): SelectQueryBuilder<T> {
    qb.select([]);
    for (const column of this.columns) qb.addSelect(column.select, column.property);
    if (this.postgres) qb.setParameter('isoTimeFormat', PG_ISO_TIME_FORMAT);
    return qb;
  }

  /** A row read as an object keyed by the aliases of {@link selectOn}. */
  map(raw: Record<string, unknown>): VmListRow {
    const row: Record<string, unknown> = {};
    for (const { property, kind } of this.columns) row[property] = this.value(raw[property], kind);
    return row as unknown as VmListRow;
  }

  /** A row read as an array, in the order of {@link selectOn} (SQLite's raw mode: no object per row to build). */
  mapValues(values: readonly unknown[]): VmListRow {
    const row: Record<string, unknown> = {};
    const columns = this.columns;
    for (let i = 0; i < columns.length; i++) row[columns[i].property] = this.value(values[i], columns[i].kind);
    return row as unknown as VmListRow;
  }

  private value(value: unknown, kind: Kind): unknown {
    if (value === null || value === undefined) return value;
    if (kind === 'json') return typeof value === 'string' ? JSON.parse(value) : value;
    if (kind === 'timestamp') return this.isoTime(value);
    return value;
  }

  private isoTime(value: unknown): string | null {
    if (value instanceof Date) return value.toJSON();
    if (typeof value === 'string') {
      if (this.postgres) return value;
      if (SQLITE_DATETIME.test(value)) return `${value.slice(0, 10)}T${value.slice(11)}Z`;
      return sqliteHydratedDate(value).toJSON();
    }
    return new Date(value as number).toJSON();
  }
}

/** TypeORM's reading of any other SQLite time text (AbstractSqliteDriver.prepareHydratedValue). */
function sqliteHydratedDate(value: string): Date {
  let text = value;
  if (/^\d\d\d\d-\d\d-\d\d \d\d:\d\d/.test(text)) text = text.replace(' ', 'T');
  if (/^\d\d\d\d-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d\d\d)?)?$/.test(text)) text += 'Z';
  return new Date(text);
}
