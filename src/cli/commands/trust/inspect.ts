/**
 * `dct trust inspect [--pretty] IMAGE[:TAG]…` — docker's `trust inspect`
 * (`C:cli/command/trust/inspect.go`, spec §7.9): JSON by default, `--pretty` for
 * people; with failures the repositories that could be read are still shown and
 * the command ends with the joined error messages (exit 1).
 */
import { lookupTrustInfo, type TrustInfo } from '../../../app/docker-trust/inspect.js';
import { isDctError } from '../../../core/errors.js';
import { CliFailure } from '../../cli-failure.js';
import { boolFlag, stringFlag, type ParsedArgs } from './args.js';
import { FORMAT_FLAG, type TrustCommand } from './common.js';
import { logrusWarning } from '../../docker-trust/go-text.js';
import { openTrustContext } from '../../docker-trust/trust-context.js';
import { hintFor } from '../../docker-trust/docker-errors.js';
import { inspectJson, inspectPretty } from './inspect-format.js';
import type { TrustIo } from '../../docker-trust/io.js';

/** docker's `lookupTrustInfo` for one argument. */
async function lookup(io: TrustIo, remote: string): Promise<TrustInfo> {
  let ctx;
  try {
    ctx = await openTrustContext(io, remote);
  } catch (err) {
    throw new CliFailure((err as Error).message);
  }
  try {
    return await lookupTrustInfo(ctx, { onWarning: (w) => io.err(logrusWarning(io.now(), w)) });
  } catch (err) {
    const cause = (err as Error).message;
    const hint = hintFor(err, ctx.gun);
    throw new CliFailure(`no signatures or cannot access ${remote}`, {
      cause: err,
      hint: `${cause}${hint ? `\n${hint}` : ''}`,
      ...(isDctError(err) ? { code: err.code } : {}),
    });
  } finally {
    ctx.close();
  }
}

/** failures that say the data is absent or out of reach, not that it was refused */
const NOT_REFUSALS = new Set([
  'REPOSITORY_NOT_FOUND',
  'MISSING_METADATA',
  'OFFLINE',
  'NETWORK_ERROR',
  'TIMEOUT',
  'SERVER_UNAVAILABLE',
  'UNAUTHORIZED',
  'INVALID_REFERENCE',
]);

function showHint(io: TrustIo, err: unknown): void {
  if (!(err instanceof CliFailure)) return;
  if (io.hints && err.hint) io.err(`hint: ${err.hint.replace(/\n/g, '\nhint: ')}\n`);
  // docker words every failure the same; a refusal of tampered, rolled-back or frozen data
  // is also named (always: a script must be able to tell an attack from a missing repository)
  else if (err.code !== undefined && !NOT_REFUSALS.has(err.code)) io.err(`refused: ${(err.cause as Error).message} [${err.code}]\n`);
}

export const inspectCommand: TrustCommand = {
  spec: {
    path: 'trust inspect',
    use: 'IMAGE[:TAG] [IMAGE[:TAG]...]',
    short: 'Return low-level information about keys and signatures',
    flags: [
      { name: 'pretty', kind: 'bool', help: 'Print the information in a human friendly format' },
      { ...FORMAT_FLAG, help: 'Output format: "json" (docker\'s, the default) or "table" (as --pretty)', default: 'json' },
    ],
    args: { min: 1 },
  },
  async run(p: ParsedArgs, io: TrustIo): Promise<number> {
    const format = stringFlag(p, 'format');
    if (format !== undefined && format !== 'json' && format !== 'table') {
      io.err(`--format must be "json" or "table", not ${JSON.stringify(format)}\n`);
      return 125;
    }
    const pretty = format === 'table' || (format === undefined && boolFlag(p, 'pretty'));
    if (pretty) {
      for (const [i, remote] of p.args.entries()) {
        try {
          const info = await lookup(io, remote);
          io.out(inspectPretty(remote, info));
          if (io.hints && info.signedTags.length === 0) {
            io.err(
              `hint: no signed tags for ${remote}: the repository has trust data but no tag is signed; sign one with \`dct trust sign ${remote}:<tag>\`\n`,
            );
          }
        } catch (err) {
          io.err(`${(err as Error).message}\n`);
          showHint(io, err);
          return 1;
        }
        if (i < p.args.length - 1) io.out('\n\n');
      }
      return 0;
    }
    const done: Array<{ name: string; info: TrustInfo }> = [];
    const errors: unknown[] = [];
    for (const remote of p.args) {
      try {
        done.push({ name: remote, info: await lookup(io, remote) });
      } catch (err) {
        errors.push(err);
      }
    }
    io.out(done.length === 0 ? '[]\n' : inspectJson(done));
    if (errors.length === 0) return 0;
    io.err(errors.map((e) => (e as Error).message).join('\n') + '\n');
    for (const e of errors) showHint(io, e);
    return 1;
  },
};
