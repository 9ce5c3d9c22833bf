/** Where commands write: text for people, JSON for scripts, warnings and errors on stderr. */
import { DctError } from '../core/errors.js';

export interface Output {
  text(s: string): void;
  json(value: unknown): void;
  warn(s: string): void;
}

export const processOutput: Output = {
  text: (s) => void process.stdout.write(s),
  json: (v) => void process.stdout.write(JSON.stringify(v, null, 2) + '\n'),
  warn: (s) => void process.stderr.write(`warning: ${s}\n`),
};

export type Format = 'table' | 'json';

export function parseFormat(value: string): Format {
  if (value === 'table' || value === 'json') return value;
  throw new DctError('INVALID_ARGUMENT', `--format must be "table" or "json", not ${JSON.stringify(value)}`);
}
