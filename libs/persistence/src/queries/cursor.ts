import { BadInputError } from '@hybridforms/core';

/** Keyset pagination: the cursor is the (sort value, id) of the last item of the previous page. */
export interface CursorPosition {
  value: string | number | null;
  id: string;
}

export function encodeCursor(position: CursorPosition): string {
  return Buffer.from(JSON.stringify([position.value, position.id])).toString('base64url');
}

export function decodeCursor(cursor: string): CursorPosition {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && parsed.length === 2 && typeof parsed[1] === 'string' && ['string', 'number'].includes(typeof parsed[0])) {
      return { value: parsed[0] as string | number, id: parsed[1] };
    }
  } catch {
    // fall through to the error below
  }
  throw new BadInputError('cursor: not a cursor this API returned');
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
