/** Small pieces the `dct trust` commands share. */
import { DctError } from '../../../core/errors.js';
import type { CommandSpec, FlagSpec, ParsedArgs } from './args.js';
import { stringFlag } from './args.js';
import type { TrustIo } from '../../docker-trust/io.js';

export type TrustFormat = 'table' | 'json';

export const FORMAT_FLAG: FlagSpec = {
  name: 'format',
  kind: 'string',
  valueName: 'string',
  help: 'Output format: "table" (docker\'s text output) or "json" (dct)',
  default: 'table',
};

export function formatOf(p: ParsedArgs): TrustFormat {
  const v = stringFlag(p, 'format') ?? 'table';
  if (v === 'table' || v === 'json') return v;
  throw new DctError('INVALID_ARGUMENT', `--format must be "table" or "json", not ${JSON.stringify(v)}`);
}

export interface TrustCommand {
  spec: CommandSpec;
  run(p: ParsedArgs, io: TrustIo): Promise<number>;
}
