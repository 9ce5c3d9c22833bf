/**
 * `dct trust verify-bundle BUNDLE [--at TIME] [--format text|json]`: checks a trust
 * bundle offline with the client's rules (src/app/trust-export/verify-bundle.ts). Exit 0
 * when every repository verifies, 1 when the bundle or any repository is refused (each
 * refusal with its stable code); expired data is verified as of the export and labelled.
 */
import { readBundleFile } from '../../../adapters/trust-bundle/bundle-file.js';
import { verifyBundle, type BundleVerdict, type RepositoryVerdict } from '../../../app/trust-export/verify-bundle.js';
import { DctError, isDctError } from '../../../core/errors.js';
import { jsonOut, type TrustIo } from '../../docker-trust/io.js';
import { stringFlag, type ParsedArgs } from './args.js';
import type { TrustCommand } from './common.js';

function formatOf(p: ParsedArgs): 'text' | 'json' {
  const v = stringFlag(p, 'format') ?? 'text';
  if (v === 'text' || v === 'json') return v;
  throw new DctError('INVALID_ARGUMENT', `--format must be "text" or "json", not ${JSON.stringify(v)}`);
}

function atOf(p: ParsedArgs): Date | undefined {
  const v = stringFlag(p, 'at');
  if (v === undefined) return undefined;
  const t = new Date(v);
  if (!/^\d{4}-\d{2}-\d{2}/.test(v) || Number.isNaN(t.getTime())) {
    throw new DctError('INVALID_ARGUMENT', `--at must be an RFC 3339 time such as 2026-12-08T00:00:00Z, not ${JSON.stringify(v)}`);
  }
  return t;
}

function sourceText(r: RepositoryVerdict): string {
  return r.source.kind === 'server'
    ? `exported from ${r.source.url}`
    : `exported from a trust dir's cache only (${r.source.path}, last verified by a client at ${r.source.writtenAt})`;
}

function rootsText(roots: readonly number[]): string {
  return roots.length === 1 ? `root v${roots[0]}` : `root chain v${roots[0]}..v${roots[roots.length - 1]}`;
}

function text(io: TrustIo, path: string, v: BundleVerdict): void {
  io.out(`Bundle ${path}: exported at ${v.exportedAt} by dct ${v.dctVersion}\n`);
  for (const r of v.repositories) {
    if (r.verified) {
      io.out(`  verified  ${r.gun}: ${rootsText(r.roots)}, ${r.tags} ${r.tags === 1 ? 'tag' : 'tags'}, as of ${r.asOf}\n`);
      io.out(`            ${sourceText(r)}\n`);
      io.out(`            trust anchor: root v${r.roots[0]}, root key ${r.anchorKeyIds.join(', ')} (trusted on first use: compare it)\n`);
      if (r.label) io.out(`            ${r.label}\n`);
    } else {
      io.out(`  REFUSED   ${r.gun}: ${r.message} [${r.code}]\n`);
    }
  }
  for (const path of v.unlisted) io.out(`  ignored   ${path}: not listed in the manifest\n`);
  const refused = v.repositories.filter((r) => !r.verified).length;
  const n = v.repositories.length;
  io.out(
    refused === 0
      ? `Verified: ${n} ${n === 1 ? 'repository' : 'repositories'}\n`
      : `Refused: ${refused} of ${n} ${n === 1 ? 'repository' : 'repositories'}\n`,
  );
}

export const verifyBundleCommand: TrustCommand = {
  spec: {
    path: 'trust verify-bundle',
    use: '[OPTIONS] BUNDLE',
    short: 'Verify a trust bundle offline',
    flags: [
      { name: 'at', kind: 'string', valueName: 'time', help: 'Apply the expiry rules as of this time (RFC 3339) instead of now' },
      { name: 'format', kind: 'string', valueName: 'string', help: 'Output format: "text" or "json"', default: 'text' },
    ],
    args: { exact: 1 },
  },
  async run(p: ParsedArgs, io: TrustIo): Promise<number> {
    const format = formatOf(p);
    const at = atOf(p);
    const path = p.args[0] as string;
    let verdict: BundleVerdict;
    try {
      verdict = await verifyBundle(await readBundleFile(path), { now: io.now(), ...(at ? { at } : {}) });
    } catch (err) {
      const code = isDctError(err) ? err.code : 'ERROR';
      if (format === 'json') jsonOut(io, { verified: false, code, message: (err as Error).message });
      else io.err(`dct trust verify-bundle: refused: ${(err as Error).message} [${code}]\n`);
      return 1;
    }
    if (format === 'json') jsonOut(io, verdict);
    else text(io, path, verdict);
    return verdict.verified ? 0 : 1;
  },
};
