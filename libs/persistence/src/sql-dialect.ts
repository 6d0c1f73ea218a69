import { DataSource, type EntityManager, type QueryResult } from 'typeorm';

/** Anything that runs SQL: the data source, or the manager of an open transaction. */
export type SqlRunner = Pick<DataSource | EntityManager, 'query'>;

/**
 * The few differences between our two drivers that raw telemetry SQL must respect. Statements are
 * written with `?` placeholders; PostgreSQL gets them numbered.
 */
export class SqlDialect {
  constructor(readonly postgres: boolean) {}

  static of(dataSource: DataSource): SqlDialect {
    return new SqlDialect(dataSource.options.type === 'postgres');
  }

  /** Numbers `?` placeholders for PostgreSQL, starting after `offset` already-numbered ones. */
  sql(text: string, offset = 0): string {
    if (!this.postgres) return text;
    let n = offset;
    return text.replace(/\?/g, () => `$${++n}`);
  }

  async query<T = Record<string, unknown>>(runner: SqlRunner, text: string, params: unknown[] = []): Promise<T[]> {
    return (await runner.query(this.sql(text), params)) as T[];
  }

  /** Runs an UPDATE or DELETE and returns how many rows it touched, on either driver. */
  async execute(target: DataSource | EntityManager, text: string, params: unknown[] = []): Promise<number> {
    return (await this.structured(target, text, params)).affected ?? 0;
  }

  /** The rows of an UPDATE/DELETE … RETURNING (TypeORM's plain query shapes them per driver). */
  async returning<T>(target: DataSource | EntityManager, text: string, params: unknown[] = []): Promise<T[]> {
    const result = await this.structured(target, text, params);
    return (result.records ?? []) as T[];
  }

  private async structured(target: DataSource | EntityManager, text: string, params: unknown[]): Promise<QueryResult> {
    const manager = target instanceof DataSource ? target.manager : target;
    // A transaction's manager brings its runner; otherwise borrow a connection for this statement.
    const owned = !manager.queryRunner;
    const queryRunner = manager.queryRunner ?? manager.connection.createQueryRunner();
    try {
      return (await queryRunner.query(this.sql(text), params, true)) as QueryResult;
    } finally {
      if (owned) await queryRunner.release();
    }
  }

  /** `(?, ?, ?), (?, ?, ?)…` for a multi-row VALUES list. */
  valuesList(rows: number, columns: number): string {
    const row = `(${new Array(columns).fill('?').join(', ')})`;
    return new Array(rows).fill(row).join(', ');
  }

  /** A timestamp parameter as each driver's column expects it. */
  timestamp(date: Date): string | Date {
    // TypeORM stores SQLite datetimes as 'YYYY-MM-DD HH:MM:SS.SSS' UTC text; comparisons are textual.
    return this.postgres ? date : date.toISOString().replace('T', ' ').replace('Z', '');
  }
}

/** A timestamp column read by raw SQL: a Date from pg, UTC text from SQLite. */
export function fromTimestamp(value: Date | string): Date {
  return value instanceof Date ? value : new Date(`${value.replace(' ', 'T')}Z`);
}

/** bigint columns come back as strings from pg; epoch seconds fit a double exactly. */
export function toNumber(value: unknown): number {
  return typeof value === 'number' ? value : Number(value);
}

/** Epoch seconds of a Date, floored. */
export function epochSeconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}
