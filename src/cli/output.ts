/** Where commands write: text for people, JSON for scripts, warnings and errors on stderr. */
import { CommanderError } from 'commander';
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

/**
 * A command that already reported its failure itself (docker/notary-exact output)
 * and only needs the process to exit with `exitCode`: main.ts returns a
 * CommanderError's exit code without printing anything.
 */
export class CommandFailed extends CommanderError {
  constructor(exitCode: number) {
    super(exitCode, 'dct.commandFailed', '');
  }
}
