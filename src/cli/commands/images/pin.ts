/**
 * `dct pin FILE… [--check] [--update] [--format text|json]`: rewrites the image
 * references of Dockerfiles (FROM), Kubernetes YAML and compose files (`image:`)
 * to `name:tag@sha256:<hex>` after resolving each tag through verified trust data
 * (docker's rules, spec §7.2), keeping every other byte of the file.
 *
 * - An unsigned reference fails its file: nothing is written to it (other files
 *   are still pinned), exit 1.
 * - An existing `name:tag@sha256:…` pin is checked against the tag's signed
 *   digest: a mismatch fails, or is re-pinned with `--update`; `name@sha256:…`
 *   must be the digest of a released tag.
 * - `scratch`, stage names, `$` variables, templates and compose `image:` keys
 *   next to `build:` are reported and left alone.
 * - Files are replaced atomically (temporary file + rename, mode kept, symlinks
 *   followed). `--check` writes nothing and exits 1 when a file would change.
 * - `--policy FILE` (or DCT_POLICY): the trust policy decides each reference and the
 *   decided digest is pinned (pin-policy.ts); `--audit` records every decision.
 */
import { randomBytes } from 'node:crypto';
import { chmod, chown, readFile, realpath, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { SKIP_TEXT, type SkipReason } from '../../../app/images/found-reference.js';
import {
  applyReplacements,
  detectKind,
  findReferences,
  pinnedForm,
  type PinFileKind,
  type Replacement,
} from '../../../app/images/pin-files.js';
import { DctError } from '../../../core/errors.js';
import { CliFailure } from '../../cli-failure.js';
import { goFileError } from '../../docker-trust/go-text.js';
import { processIo, type TrustIo } from '../../docker-trust/io.js';
import { TRUST_BUNDLE_ENV, withTrustBundle } from '../../docker-trust/trust-data.js';
import { parseReference, type TrustResolver } from '../../../app/images/trust-resolver.js';
import { failureJson, resolutionFailure, trustResolver } from '../../docker-trust/trust-resolution.js';
import { AUDIT_ENV, POLICY_ENV, PolicyEnforcement, withEnforcement, type EnforcementFlags } from '../../policy-enforcement.js';
import { pinReferenceByPolicy } from './pin-policy.js';
import type { PinnedReference } from './pinned-reference.js';

export interface PinOptions extends EnforcementFlags {
  check: boolean;
  update: boolean;
  format: 'text' | 'json';
}

export interface PinnedFile {
  file: string;
  kind: PinFileKind | null;
  /** updated: written; would-change: --check found changes; failed: not written */
  status: 'updated' | 'unchanged' | 'would-change' | 'failed';
  references: PinnedReference[];
  error?: { code: string; message: string };
}

export function parsePinFormat(v: string): 'text' | 'json' {
  if (v === 'text' || v === 'json') return v;
  throw new DctError('INVALID_ARGUMENT', `--format must be "text" or "json", not ${JSON.stringify(v)}`);
}

/** Replaces `path` by `bytes` atomically: a temporary file in the same folder, the original's mode (and owner when allowed), rename. */
export async function writeFileAtomic(path: string, bytes: Buffer): Promise<void> {
  const st = await stat(path);
  const tmp = join(dirname(path), `.${basename(path)}.dct-${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, bytes, { flag: 'wx', mode: st.mode & 0o7777 });
    await chmod(tmp, st.mode & 0o7777);
    await chown(tmp, st.uid, st.gid).catch(() => undefined);
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}

async function pinOne(
  text: string,
  kind: PinFileKind,
  resolver: TrustResolver,
  opts: PinOptions,
  enforcement: PolicyEnforcement | undefined,
): Promise<{ refs: PinnedReference[]; replacements: Replacement[] }> {
  const found = findReferences(kind, text);
  const replacements: Replacement[] = [];
  const refs = await Promise.all(
    found.map(async (f): Promise<PinnedReference> => {
      const base = { line: f.line, column: f.column, original: f.text };
      if (f.skip) return { ...base, pinned: null, status: 'skipped', reason: f.skip };
      if (enforcement) return pinReferenceByPolicy(f, enforcement, opts.update, replacements);
      try {
        const ref = parseReference(f.text);
        if (ref.digest !== undefined && ref.tag === undefined) {
          const r = await resolver.verify(ref);
          return { ...base, pinned: f.text, status: 'verified', digest: r.digest, role: r.role };
        }
        const r = await resolver.resolveTag(ref);
        const pinned = pinnedForm(f.text, r.digest.slice('sha256:'.length));
        if (ref.digest === undefined) {
          replacements.push({ start: f.start, end: f.end, text: pinned });
          return { ...base, pinned, status: 'pinned', digest: r.digest, role: r.role };
        }
        if (ref.digest === r.digest) return { ...base, pinned: f.text, status: 'verified', digest: r.digest, role: r.role };
        if (!opts.update) {
          throw new CliFailure(
            `pinned to ${ref.digest}, but the signed digest of ${ref.familiarName}:${r.tag} is ${r.digest} (--update re-pins it)`,
            { code: 'DIGEST_MISMATCH' },
          );
        }
        replacements.push({ start: f.start, end: f.end, text: pinned });
        return { ...base, pinned, status: 'updated', digest: r.digest, role: r.role };
      } catch (err) {
        return { ...base, pinned: null, status: 'failed', error: failureJson(resolutionFailure(err)) };
      }
    }),
  );
  return { refs, replacements };
}

export async function pinFiles(
  files: readonly string[],
  opts: PinOptions,
  io: TrustIo,
  enforcement?: PolicyEnforcement,
): Promise<PinnedFile[]> {
  const resolver = trustResolver(io);
  const seen = new Set<string>();
  try {
    return await Promise.all(
      files.map(async (file): Promise<PinnedFile> => {
        let real: string;
        let text: string;
        try {
          real = await realpath(resolve(io.cwd, file));
          if (seen.has(real)) return { file, kind: null, status: 'unchanged', references: [] };
          seen.add(real);
          text = (await readFile(real)).toString('latin1');
        } catch (err) {
          return {
            file,
            kind: null,
            status: 'failed',
            references: [],
            error: { code: (err as NodeJS.ErrnoException).code ?? 'ERROR', message: goFileError('open', file, err) },
          };
        }
        const kind = detectKind(file, text);
        const { refs, replacements } = await pinOne(text, kind, resolver, opts, enforcement);
        if (refs.some((r) => r.status === 'failed')) return { file, kind, status: 'failed', references: refs };
        if (replacements.length === 0) return { file, kind, status: 'unchanged', references: refs };
        if (opts.check) return { file, kind, status: 'would-change', references: refs };
        try {
          await writeFileAtomic(real, Buffer.from(applyReplacements(text, replacements), 'latin1'));
        } catch (err) {
          return {
            file,
            kind,
            status: 'failed',
            references: refs,
            error: { code: (err as NodeJS.ErrnoException).code ?? 'ERROR', message: goFileError('write', file, err) },
          };
        }
        return { file, kind, status: 'updated', references: refs };
      }),
    );
  } finally {
    resolver.close();
  }
}

export async function runPin(files: readonly string[], opts: PinOptions, io: TrustIo): Promise<number> {
  const enforcement = await PolicyEnforcement.open(io, 'pin', opts, { command: opts.check ? 'dct pin --check' : 'dct pin' });
  const results = await withEnforcement(enforcement, () => pinFiles(files, opts, io, enforcement));
  if (opts.format === 'json') io.out(JSON.stringify(results, null, 2) + '\n');
  else {
    for (const f of results) {
      for (const r of f.references) {
        const at = `${f.file}:${r.line}`;
        if (r.status === 'pinned' || r.status === 'updated') io.out(`${at}: ${r.original} -> ${r.pinned}\n`);
        else if (r.status === 'skipped') io.err(`${at}: skipped ${r.original}: ${SKIP_TEXT[r.reason as SkipReason]}\n`);
        else if (r.status === 'failed') {
          io.err(`${at}: ${r.original}: ${r.error?.message}\n`);
          if (io.hints && r.error?.hint) io.err(`hint: ${r.error.hint}\n`);
        }
      }
      const changed = f.references.filter((r) => r.status === 'pinned' || r.status === 'updated').length;
      const verified = f.references.filter((r) => r.status === 'verified').length;
      const failed = f.references.filter((r) => r.status === 'failed').length;
      const s = (n: number) => `${n} reference${n === 1 ? '' : 's'}`;
      switch (f.status) {
        case 'updated':
          io.out(`${f.file}: pinned ${s(changed)}${verified ? `, ${verified} already pinned` : ''}\n`);
          break;
        case 'would-change':
          io.out(`${f.file}: would pin ${s(changed)}\n`);
          break;
        case 'unchanged':
          io.out(`${f.file}: up to date${verified ? ` (${s(verified)} pinned and signed)` : ''}\n`);
          break;
        case 'failed':
          io.err(f.error ? `${f.error.message}\n` : `${f.file}: not written: ${s(failed)} failed verification\n`);
          break;
      }
    }
  }
  const failed = results.some((f) => f.status === 'failed');
  const wouldChange = results.some((f) => f.status === 'would-change');
  return failed || wouldChange ? 1 : 0;
}

export function registerPinCommand(program: Command): void {
  program
    .command('pin')
    .description(
      'pin the images of Dockerfiles, Kubernetes YAML and compose files to their signed digests (name:tag@sha256:…), after verifying their trust data',
    )
    .argument('<files...>', 'Dockerfiles (FROM), YAML files (image:)')
    .option('--check', 'change nothing; exit 1 when a file would change or a reference is not signed')
    .option('--update', 're-pin references whose @sha256 digest is no longer the signed one')
    .option('--format <format>', 'text or json', 'text')
    .option('--policy <file>', `pin to the digests this trust policy decides, denied references fail (default: $${POLICY_ENV})`)
    .option('--audit <file|url>', `write every policy decision to this audit feed (default: $${AUDIT_ENV})`)
    .option('--trusted-root <file>', 'cosign (policy): Sigstore trusted_root.json (default: the production root dct ships)')
    .option(
      '--trust-bundle <file>',
      `DCT: read trust data from this trust bundle (dct trust export), not a trust server (default: $${TRUST_BUNDLE_ENV})`,
    )
    .action(async (files: string[], o: { check?: boolean; update?: boolean; format: string; trustBundle?: string } & EnforcementFlags) => {
      const code = await runPin(
        files,
        {
          check: o.check === true,
          update: o.update === true,
          format: parsePinFormat(o.format),
          ...(o.policy !== undefined ? { policy: o.policy } : {}),
          ...(o.audit !== undefined ? { audit: o.audit } : {}),
          ...(o.trustedRoot !== undefined ? { trustedRoot: o.trustedRoot } : {}),
        },
        withTrustBundle(processIo(), o.trustBundle),
      );
      if (code !== 0) throw CliFailure.reported(code);
    });
}
