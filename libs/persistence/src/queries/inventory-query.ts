import { Brackets, type ObjectLiteral, type SelectQueryBuilder } from 'typeorm';
import { BadInputError } from '@hybridforms/core';
import { decodeCursor, encodeCursor, type Page } from './cursor.js';

export type ArchivedFilter = 'false' | 'true' | 'all';

export interface SortSpec {
  /** Entity property to sort by (never null in the table). */
  property: string;
  descending: boolean;
}

/** Parses `name` / `-createdAt` against the properties a list allows. */
export function parseSort(sort: string | undefined, allowed: readonly string[], fallback: string): SortSpec {
  const raw = sort ?? fallback;
  const descending = raw.startsWith('-');
  const property = descending ? raw.slice(1) : raw;
  if (!allowed.includes(property)) throw new BadInputError(`sort: must be one of ${allowed.flatMap((p) => [p, `-${p}`]).join(', ')}`);
  return { property, descending };
}

export function applyArchived<T extends ObjectLiteral>(qb: SelectQueryBuilder<T>, alias: string, archived: ArchivedFilter | undefined): void {
  if (archived === 'all') return;
  qb.andWhere(`${alias}.archivedAt IS ${archived === 'true' ? 'NOT ' : ''}NULL`);
}

/** Escapes LIKE wildcards; every LIKE we build says ESCAPE '\'. */
export function likeEscape(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** Case-insensitive substring search over several columns (any may match). */
export function applySearch<T extends ObjectLiteral>(qb: SelectQueryBuilder<T>, columns: string[], text: string | undefined): void {
  if (!text) return;
  const q = `%${likeEscape(text.toLowerCase())}%`;
  qb.andWhere(new Brackets((w) => columns.forEach((column) => w.orWhere(`LOWER(${column}) LIKE :q ESCAPE '\\'`, { q }))));
}

/**
 * Runs a keyset-paginated query: sorted by the sort property then id, one extra row fetched to
 * know whether another page exists. `load` reads the rows (default: entities); each must carry
 * `id` and the sort property, as a Date, an ISO time text or a plain value.
 */
export async function paginate<T extends ObjectLiteral, R extends { id: string } = T & { id: string }>(
  qb: SelectQueryBuilder<T>,
  alias: string,
  sort: SortSpec,
  limit: number,
  cursor: string | undefined,
  load: (qb: SelectQueryBuilder<T>) => Promise<R[]> = (q) => q.getMany() as unknown as Promise<R[]>,
): Promise<Page<R>> {
  applyKeyset(qb, alias, sort, limit, cursor);
  const rows = await load(qb);
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  const nextCursor =
    rows.length > limit && last ? encodeCursor({ value: cursorValue((last as Record<string, unknown>)[sort.property]), id: last.id }) : null;
  return { items, nextCursor };
}

/**
 * The keyset of a page on a query: rows after the cursor's (sort value, id), in that order, one
 * more than the page: a range of the (sort, id) index, never an OFFSET, and no count.
 */
export function applyKeyset<T extends ObjectLiteral>(qb: SelectQueryBuilder<T>, alias: string, sort: SortSpec, limit: number, cursor: string | undefined): void {
  const column = `${alias}.${sort.property}`;
  const idColumn = `${alias}.id`;
  const op = sort.descending ? '<' : '>';
  if (cursor) {
    const position = decodeCursor(cursor);
    const value = isDateColumn(qb, sort.property) ? new Date(position.value as string) : position.value;
    // A forged cursor is bad input, never a database error.
    if (value === null || (value instanceof Date && Number.isNaN(value.getTime()))) throw new BadInputError('cursor: not a cursor this API returned');
    // A row-value comparison, not `a > x OR (a = x AND id > y)`: both databases read it as one
    // range of the (…, sort, id) index, where the OR form makes SQLite filter row by row.
    qb.andWhere(`(${column}, ${idColumn}) ${op} (:cursorValue, :cursorId)`, { cursorValue: value, cursorId: position.id });
  }
  const direction = sort.descending ? 'DESC' : 'ASC';
  qb.orderBy(column, direction).addOrderBy(idColumn, direction).take(undefined).limit(limit + 1);
}

/** Whether the sort property is a timestamp column (its cursor value goes back to the driver as a Date). */
function isDateColumn(qb: SelectQueryBuilder<ObjectLiteral>, property: string): boolean {
  return qb.expressionMap.mainAlias?.metadata.findColumnWithPropertyName(property)?.type === Date;
}

function cursorValue(value: unknown): string | number | null {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'string' || typeof value === 'number') return value;
  return null;
}
