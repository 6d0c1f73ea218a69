import { BadInputError, type AppConfig } from '@hybridforms/core';
import type { PageQueryDto } from './list-query.dto.js';

export function pageLimit(query: PageQueryDto, config: AppConfig): number {
  const limit = query.limit ?? config.api.defaultPageSize;
  if (limit > config.api.maxPageSize) throw new BadInputError(`limit: must not exceed ${config.api.maxPageSize}`);
  return limit;
}

/** Splits a comma-separated filter value, checking every element against the allowed values. */
export function csvOf<T extends string>(name: string, value: string | undefined, allowed: readonly T[]): T[] | undefined {
  if (value === undefined) return undefined;
  const items = value.split(',').map((v) => v.trim());
  const bad = items.filter((v) => !allowed.includes(v as T));
  if (bad.length > 0) throw new BadInputError(`${name}: ${bad.map((b) => JSON.stringify(b)).join(', ')} not one of ${allowed.join(', ')}`);
  return items as T[];
}
