/** `dct verify --format`: how the verdicts are printed (text, a table, or JSON). */
import { DctError } from '../../../core/errors.js';

export type VerifyFormat = 'text' | 'table' | 'json';

export function parseVerifyFormat(v: string): VerifyFormat {
  if (v === 'text' || v === 'table' || v === 'json') return v;
  throw new DctError('INVALID_ARGUMENT', `--format must be "text", "table" or "json", not ${JSON.stringify(v)}`);
}
