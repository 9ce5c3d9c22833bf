/**
 * `dct trust signer add --key FILE… NAME REPO…` and `dct trust signer remove [-f] NAME REPO…`
 * (`C:cli/command/trust/signer_add.go`, `signer_remove.go`; spec §7.5, §7.6).
 *
 * `signer remove` does what docker's help promises, which docker CLI 26+ does
 * not: it removes the signer (its keys leave targets/releases and targets/<name>
 * is deleted) whether or not it is the last one, asking first only when it
 * signed the last released version (unless `-f`). docker 28 removes nothing
 * unless that question was asked and answered `y`.
 */
import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { addSigner, removeSigner, SignerChangeFailure } from '../../../app/docker-trust/change-signers.js';
import { parsePublicKeyPem } from '../../../app/docker-trust/keys.js';
import { invalidNameMessage, SIGNER_NAME } from '../../../app/docker-trust/roles.js';
import { CliFailure } from '../../cli-failure.js';
import type { PublicKey } from '../../../core/keys/public-key.js';
import { boolFlag, listFlag, type ParsedArgs } from './args.js';
import { FORMAT_FLAG, formatOf, type TrustCommand } from './common.js';
import { goFileError, logrusWarning } from '../../docker-trust/go-text.js';
import { openTrustContext } from '../../docker-trust/trust-context.js';
import { errorJson, hintFor, notaryErrorMessage } from '../../docker-trust/docker-errors.js';
import { confirm, jsonOut, type TrustIo } from '../../docker-trust/io.js';

const MAX_KEY_FILE = 1 << 20;

export const signerAddCommand: TrustCommand = {
  spec: {
    path: 'trust signer add',
    use: 'OPTIONS NAME REPOSITORY [REPOSITORY...] ',
    short: 'Add a signer',
    flags: [{ name: 'key', kind: 'list', help: "Path to the signer's public key file" }, FORMAT_FLAG],
    args: { min: 2 },
  },
  async run(p: ParsedArgs, io: TrustIo): Promise<number> {
    const format = formatOf(p);
    const json = format === 'json';
    const [name, ...repos] = p.args as [string, ...string[]];
    const say = (t: string) => void (json ? undefined : io.out(t));
    const fail = (message: string, err?: unknown) => {
      if (json) jsonOut(io, { signer: name, error: errorJson(err, message, repos[0] ?? '') });
      else io.err(`${message}\n`);
      return 1;
    };
    if (!SIGNER_NAME.test(name)) return fail(invalidNameMessage('signer', name));
    if (name === 'releases') return fail('releases is a reserved keyword, use a different signer name');
    const keyFiles = listFlag(p, 'key');
    if (keyFiles.length === 0) return fail('path to a public key must be provided using the `--key` flag');
    const keys: PublicKey[] = [];
    for (const file of keyFiles) {
      let text: string;
      try {
        const bytes = await readFile(isAbsolute(file) ? file : resolve(io.cwd, file));
        text = bytes.subarray(0, MAX_KEY_FILE).toString('utf8');
      } catch (err) {
        return fail(`unable to read public key from file: ${goFileError('open', file, err)}`, err);
      }
      try {
        keys.push(parsePublicKeyPem(text, io.now()));
      } catch (err) {
        return fail(`could not parse public key from file: ${file}: ${(err as Error).message}`, err);
      }
    }
    const failed: string[] = [];
    const results: unknown[] = [];
    for (const repoName of repos) {
      say(`Adding signer "${name}" to ${repoName}...\n`);
      try {
        const initialized = await addSignerToRepo(io, name, repoName, keys, say);
        say(`Successfully added signer: ${name} to ${repoName}\n\n`);
        results.push({ repository: repoName, added: true, initialized, keyIds: keys.map((k) => k.canonicalId) });
      } catch (err) {
        results.push({ repository: repoName, added: false, error: reportFailure(io, json, err, repoName) });
        failed.push(repoName);
      }
    }
    if (json) jsonOut(io, { signer: name, repositories: results });
    if (failed.length > 0) {
      if (!json) io.err(`failed to add signer to: ${failed.join(', ')}\n`);
      return 1;
    }
    return 0;
  },
};

/** docker's `addSignerToRepo`, its failures in docker's words; true when the repository had to be initialised. */
async function addSignerToRepo(
  io: TrustIo,
  name: string,
  repoName: string,
  keys: readonly PublicKey[],
  say: (t: string) => void,
): Promise<boolean> {
  const ctx = await openTrustContext(io, repoName);
  try {
    return await addSigner(ctx, name, keys, {
      onEvent: (e) =>
        say(e.type === 'initializing' ? `Initializing signed repository for ${repoName}...\n` : `Successfully initialized "${repoName}"\n`),
    });
  } catch (err) {
    if (!(err instanceof SignerChangeFailure)) throw err;
    const message =
      err.step === 'add-signer'
        ? `could not add signer to repo: ${name}: ${(err.cause as Error).message}`
        : notaryErrorMessage(repoName, err.cause);
    throw new CliFailure(message, { cause: err.cause });
  } finally {
    ctx.close();
  }
}

export const signerRemoveCommand: TrustCommand = {
  spec: {
    path: 'trust signer remove',
    use: '[OPTIONS] NAME REPOSITORY [REPOSITORY...]',
    short: 'Remove a signer',
    flags: [
      { name: 'force', short: 'f', kind: 'bool', help: 'Do not prompt for confirmation before removing the most recent signer' },
      FORMAT_FLAG,
    ],
    args: { min: 2 },
  },
  async run(p: ParsedArgs, io: TrustIo): Promise<number> {
    const json = formatOf(p) === 'json';
    const [name, ...repos] = p.args as [string, ...string[]];
    const force = boolFlag(p, 'force');
    const failed: string[] = [];
    const results: unknown[] = [];
    for (const repoName of repos) {
      if (!json) io.out(`Removing signer "${name}" from ${repoName}...\n`);
      try {
        const removed = await removeSingleSigner(io, repoName, name, force, json);
        if (removed && !json) io.out(`Successfully removed ${name} from ${repoName}\n\n`);
        results.push({ repository: repoName, removed });
      } catch (err) {
        results.push({ repository: repoName, removed: false, error: reportFailure(io, json, err, repoName) });
        failed.push(repoName);
      }
    }
    if (json) jsonOut(io, { signer: name, repositories: results });
    if (failed.length > 0) {
      if (!json) io.err(`error removing signer from: ${failed.join(', ')}\n`);
      return 1;
    }
    return 0;
  },
};

/** docker's `removeSingleSigner`, its failures in docker's words; false when the user said no. */
async function removeSingleSigner(io: TrustIo, repoName: string, name: string, force: boolean, json: boolean): Promise<boolean> {
  const ctx = await openTrustContext(io, repoName);
  try {
    return await removeSigner(ctx, name, {
      force,
      onWarning: (w) => io.err(logrusWarning(io.now(), w)),
      confirmLastSigner: () =>
        confirm(
          io,
          json ? io.err : io.out,
          `The signer "${name}" signed the last released version of ${repoName}. ` +
            `Removing this signer will make ${repoName} unpullable. ` +
            'Are you sure you want to continue?',
        ),
    });
  } catch (err) {
    if (!(err instanceof SignerChangeFailure)) throw err;
    throw new CliFailure(`error retrieving signers for ${repoName}: ${(err.cause as Error).message}`, { cause: err.cause });
  } finally {
    ctx.close();
  }
}

/** One repository's failure: docker's lines on stderr (and a hint), or the JSON error entry. */
function reportFailure(io: TrustIo, json: boolean, err: unknown, repoName: string): ReturnType<typeof errorJson> {
  // a failure worded as docker words it carries the error underneath
  const cause = err instanceof CliFailure ? err.cause : err;
  if (!json) {
    io.err(`${(err as Error).message}\n\n`);
    const hint = io.hints ? hintFor(cause, repoName) : undefined;
    if (hint) io.err(`hint: ${hint}\n`);
  }
  return errorJson(cause, (err as Error).message, repoName);
}
