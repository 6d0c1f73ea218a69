import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, IsUUID, Length, Min, Validate, ValidatorConstraint, type ValidationArguments, type ValidatorConstraintInterface } from 'class-validator';

/**
 * What a list's cursor is: a keyset position `(sort value, id)` the persistence layer encoded, one
 * whose sort value is a time, or a plain counter (a run's events).
 */
export type CursorKind = 'keyset' | 'date' | 'counter';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/** True when `cursor` has the shape of a cursor of this kind the API hands out (checked before any query sees it). */
export function isCursorOf(kind: CursorKind, cursor: string): boolean {
  if (kind === 'counter') return /^\d{1,9}$/.test(cursor);
  if (!/^[A-Za-z0-9_-]{1,1024}$/.test(cursor)) return false;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return false;
  }
  if (!Array.isArray(parsed) || parsed.length !== 2 || typeof parsed[1] !== 'string' || !UUID.test(parsed[1])) return false;
  const value: unknown = parsed[0];
  if (kind === 'date') return typeof value === 'string' && ISO_TIME.test(value) && !Number.isNaN(new Date(value).getTime());
  if (value === null) return true;
  if (typeof value === 'number') return Number.isFinite(value);
  return typeof value === 'string' && value.length <= 512 && !value.includes('\u0000');
}

@ValidatorConstraint({ name: 'pageCursor' })
class PageCursorConstraint implements ValidatorConstraintInterface {
  validate(value: unknown, args: ValidationArguments): boolean {
    const dto = args.object as { cursorKind?: () => CursorKind };
    return typeof value === 'string' && isCursorOf(typeof dto.cursorKind === 'function' ? dto.cursorKind() : 'keyset', value);
  }

  defaultMessage(): string {
    return 'cursor: not a cursor this API returned';
  }
}

/** Paging every list takes; the largest limit is checked against the configuration. */
export class PageQueryDto {
  @ApiPropertyOptional({ description: 'Items per page (at most api.maxPageSize)', minimum: 1, type: 'integer' })
  @IsOptional()
  // Decimal digits only: `1e3`, `0x10`, ` 5` are not page sizes.
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' && /^\d{1,9}$/.test(value) ? Number(value) : value))
  @IsInt()
  @Min(1)
  limit?: number;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page', maxLength: 1024 })
  @IsOptional()
  @IsString()
  @Length(1, 1024)
  @Validate(PageCursorConstraint)
  cursor?: string;
}

/** The cursor kind of a list sorted by `sort` (a time when the sort property is one: createdAt, updatedAt). */
export function cursorKindOfSort(sort: string | undefined): CursorKind {
  return sort && /At$/.test(sort) ? 'date' : 'keyset';
}

export class InventoryListQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  provider?: string;

  @ApiPropertyOptional({ description: 'Substring of the name or native id', maxLength: 256 })
  @IsOptional()
  @IsString()
  @Length(1, 256)
  q?: string;

  @ApiPropertyOptional({ enum: ['false', 'true', 'all'], description: 'Archived records: hidden (default), only, or both' })
  @IsOptional()
  @IsIn(['false', 'true', 'all'])
  archived?: 'false' | 'true' | 'all';

  @ApiPropertyOptional({ enum: ['name', '-name', 'createdAt', '-createdAt'] })
  @IsOptional()
  @IsIn(['name', '-name', 'createdAt', '-createdAt'])
  sort?: string;

  cursorKind(): CursorKind {
    return cursorKindOfSort(this.sort);
  }
}
