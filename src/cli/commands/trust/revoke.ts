/**
 * `dct trust revoke [-y] IMAGE[:TAG]` — docker's `trust revoke`
 * (`C:cli/command/trust/revoke.go`, spec §7.8): the tag (or, after a confirmation,
 * every released tag) is taken out of every role the user can sign (the revoking
 * use case, `src/app/docker-trust/revoke-tag.ts`).
 */
import { revokeTag } from '../../../app/docker-trust/revoke-tag.js';
import { parseImageReference } from '../../../core/image-reference.js';
import { boolFlag, type ParsedArgs } from './args.js';
import { FORMAT_FLAG, formatOf, type TrustCommand } from './common.js';
import { logrusWarning } from '../../docker-trust/go-text.js';
import { openTrustContext } from '../../docker-trust/trust-context.js';
import { errorJson, hintFor } from '../../docker-trust/docker-errors.js';
import { confirm, jsonOut, type TrustIo } from '../../docker-trust/io.js';

export const revokeCommand: TrustCommand = {
  spec: {
    path: 'trust revoke',
    use: '[OPTIONS] IMAGE[:TAG]',
    short: 'Remove trust for an image',
    flags: [{ name: 'yes', short: 'y', kind: 'bool', help: 'Do not prompt for confirmation' }, FORMAT_FLAG],
    args: { exact: 1 },
  },
  async run(p: ParsedArgs, io: TrustIo): Promise<number> {
    const json = formatOf(p) === 'json';
    const remote = p.args[0] as string;
    let gun = remote;
    const fail = (message: string, err?: unknown) => {
      if (json) jsonOut(io, { image: remote, error: errorJson(err, message, gun) });
      else {
        io.err(`${message}\n`);
        const hint = io.hints ? hintFor(err, gun) : undefined;
        if (hint) io.err(`hint: ${hint}\n`);
      }
      return 1;
    };
    let ref;
    try {
      ref = parseImageReference(remote);
    } catch (err) {
      return fail((err as Error).message, err);
    }
    gun = ref.name;
    const tag = ref.digest === undefined ? ref.tag : undefined;
    if (tag === undefined && ref.digest !== undefined) return fail('cannot use a digest reference for IMAGE:TAG');
    if (tag === undefined && !boolFlag(p, 'yes')) {
      const yes = await confirm(io, json ? io.err : io.out, `Confirm you would like to delete all signature data for ${remote}?`);
      if (!yes) {
        // docker treats the cancellation as a quiet exit 0
        if (json) jsonOut(io, { image: remote, revoked: [], cancelled: true });
        return 0;
      }
    }
    let ctx;
    try {
      ctx = await openTrustContext(io, remote);
    } catch (err) {
      return fail((err as Error).message, err);
    }
    let tags: string[];
    try {
      tags = await revokeTag(ctx, { tag, onWarning: (w) => io.err(logrusWarning(io.now(), w)) });
    } catch (err) {
      return fail(`could not remove signature for ${remote}: ${(err as Error).message}`, err);
    } finally {
      ctx.close();
    }
    if (json) jsonOut(io, { image: remote, repository: ctx.gun, revoked: tags });
    else io.out(`Successfully deleted signature for ${remote}\n`);
    return 0;
  },
};
