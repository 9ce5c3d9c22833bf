/**
 * The dashboard's opaque paging cursors: base64url JSON of the query they continue (so a
 * cursor used with another query is refused) and the sort key of the last item sent (keyset
 * paging: items added or removed meanwhile shift nothing).
 */
import { DctError } from '../../core/errors.js';

export function encodeCursor(value: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** The cursor's fields, checked by `valid`; DASHBOARD_BAD_QUERY when it is not one of ours or not for this query. */
export function decodeCursor<T>(cursor: string, valid: (value: Record<string, unknown>) => T | undefined): T {
  let value: unknown;
  try {
    if (!/^[A-Za-z0-9_-]{1,2048}$/.test(cursor)) throw new Error('not base64url');
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw badCursor();
  }
  const checked =
    typeof value === 'object' && value !== null && !Array.isArray(value) ? valid(value as Record<string, unknown>) : undefined;
  if (checked === undefined) throw badCursor();
  return checked;
}

function badCursor(): DctError {
  return new DctError(
    'DASHBOARD_BAD_QUERY',
    'cursor: not a cursor of this query (pass back the `next` of the previous page, with the same query)',
  );
}
