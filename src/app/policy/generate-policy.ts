/**
 * `dct policy generate` (issue 14): from a repository's DCT signers (the tag table of its
 * verified trust data: every role that signs a tag, with the keys that signed its file), the
 * trust policy that carries the admission rules over to cosign/Notation — one rule per
 * repository: the new format's requirement (the cosign keys and Notation trust stores and
 * identities the user names), and with `keepDct` the DCT requirement beside it (`anyOf`, or
 * `allOf` when both must sign) for the grace period — as YAML whose comments say where each
 * requirement came from; and notation's trust policy (`trustpolicy.oci.json`) with one strict
 * statement scoped to the repositories. Pure: text and documents out, no I/O.
 */
import { DctError } from '../../core/errors.js';
import type { TrustPolicyDocument } from '../../core/notation/trust-policy-document.js';
import type { BundleTag } from '../../core/trust-bundle/manifest.js';

/** One role that signs tags of a repository. */
export interface RoleSigner {
  /** `targets`, `targets/releases`, `targets/alice`, `targets/alice/ci` */
  role: string;
  /** the policy's signer name (`releases` for the released roles, `alice` for `targets/alice`); undefined for a nested role */
  signer?: string;
  /** key IDs that signed the role's file */
  keyIds: string[];
  /** how many tags the role signs */
  tags: number;
}

/** Who signs a repository, and where that was read. */
export interface RepositorySigners {
  /** `registry/repository` as the policy matches it */
  gun: string;
  /** where the trust data came from, in words (`https://trust.example.com`, `bundle.tar (exported …)`) */
  source: string;
  tags: number;
  signers: RoleSigner[];
}

export interface GenerateOptions {
  repositories: readonly RepositorySigners[];
  /** key files as the policy names them (relative to the policy file) */
  cosignKeys: readonly string[];
  /** cosign: require a transparency log entry (false for keys signed with `--tlog-upload=false`) */
  cosignTlog: boolean;
  /** `ca:NAME` / `signingAuthority:NAME` */
  notationTrustStores: readonly string[];
  /** `x509.subject: …` */
  notationIdentities: readonly string[];
  /** keep the DCT requirement beside the new one (the grace period) */
  keepDct: boolean;
  /** with keepDct: both formats must sign (allOf) instead of either (anyOf) */
  requireBoth: boolean;
  /** when the file is generated (named in its header) */
  now: Date;
}

export interface GeneratedPolicy {
  /** the policy file (YAML) */
  yaml: string;
  /** notation's trust policy for the same repositories; undefined without a trust store */
  notation?: TrustPolicyDocument;
}

const RELEASED = new Set(['targets', 'targets/releases']);

/** The signer name of a role: released roles are `releases`, `targets/x` is `x`, nested roles have none. */
export function signerNameOfRole(role: string): string | undefined {
  if (RELEASED.has(role)) return 'releases';
  const rest = role.startsWith('targets/') ? role.slice('targets/'.length) : '';
  return rest !== '' && !rest.includes('/') ? rest : undefined;
}

/** Who signs, from a verified repository's tag table (a live read or a bundle's manifest). */
export function signersOfTags(gun: string, source: string, tags: readonly BundleTag[]): RepositorySigners {
  const byRole = new Map<string, { keyIds: Set<string>; tags: number }>();
  for (const t of tags) {
    for (const r of t.roles) {
      const entry = byRole.get(r.role) ?? { keyIds: new Set<string>(), tags: 0 };
      for (const k of r.keyIds) entry.keyIds.add(k);
      entry.tags++;
      byRole.set(r.role, entry);
    }
  }
  const signers = [...byRole.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([role, e]): RoleSigner => {
      const signer = signerNameOfRole(role);
      return { role, ...(signer !== undefined ? { signer } : {}), keyIds: [...e.keyIds].sort(), tags: e.tags };
    });
  return { gun, source, tags: tags.length, signers };
}

/** A YAML scalar: JSON's double-quoted string is one. */
const q = (s: string): string => JSON.stringify(s);

function shortIds(ids: readonly string[]): string {
  return ids.length === 0 ? 'no valid signature' : ids.map((k) => k.slice(0, 12)).join(', ');
}

/** YAML lines of one requirement item under a list, with `- ` at `indent`. */
function dctItems(repo: RepositorySigners, indent: string): string[] {
  const named = [...new Set(repo.signers.flatMap((s) => (s.signer !== undefined ? [s.signer] : [])))].sort();
  const nested = repo.signers.filter((s) => s.signer === undefined).map((s) => s.role);
  const lines: string[] = [`${indent}# DCT (kept for the grace period): the signers of ${repo.gun}'s trust data`];
  for (const s of repo.signers) {
    lines.push(`${indent}#   ${s.role}: ${s.tags} ${s.tags === 1 ? 'tag' : 'tags'}, signed by key ${shortIds(s.keyIds)}`);
  }
  lines.push(`${indent}# fresh: the tag itself must be signed through DCT (timestamp/snapshot freshness)`);
  if (named.length > 0) lines.push(`${indent}- dct: {signers: [${named.map(q).join(', ')}], fresh: true}`);
  if (nested.length > 0) lines.push(`${indent}- dct: {roles: [${nested.map(q).join(', ')}], fresh: true}`);
  return lines;
}

function signerWords(repo: RepositorySigners): string {
  const names = repo.signers.map((s) => s.signer ?? s.role);
  return [...new Set(names)].join(', ') || 'nobody';
}

function newFormatItems(repo: RepositorySigners, o: GenerateOptions, indent: string): string[] {
  const lines: string[] = [];
  const who = signerWords(repo);
  for (const key of o.cosignKeys) {
    lines.push(`${indent}# cosign: ${key} signs what DCT signer(s) ${who} signed (given with --cosign-key)`);
    lines.push(`${indent}- cosign: {key: ${q(key)}${o.cosignTlog ? '' : ', tlog: false'}}`);
  }
  for (const store of o.notationTrustStores) {
    const identities = o.notationIdentities.length > 0 ? o.notationIdentities : [undefined];
    for (const identity of identities) {
      lines.push(`${indent}# Notation: trust store ${store}${identity ? `, ${identity}` : ''} signs what DCT signer(s) ${who} signed`);
      lines.push(`${indent}- notation: {trustStore: ${q(store)}${identity ? `, identity: ${q(identity)}` : ''}}`);
    }
  }
  return lines;
}

/** The `require:` block of one repository's rule, indented under `    require:`. */
function requireLines(repo: RepositorySigners, o: GenerateOptions): string[] {
  const hasNew = o.cosignKeys.length + o.notationTrustStores.length > 0;
  const base = '      ';
  if (!o.keepDct) {
    const items = newFormatItems(repo, o, `${base}  `);
    return [`${base}anyOf:`, ...items];
  }
  if (!hasNew) return [`${base}anyOf:`, ...dctItems(repo, `${base}  `)];
  const combinator = o.requireBoth ? 'allOf' : 'anyOf';
  // one requirement of a format sits in the list itself; several are grouped (anyOf) first
  const group = (items: (indent: string) => string[], leaves: number): string[] =>
    leaves === 1 ? items(`${base}  `) : [`${base}  - anyOf:`, ...items(`${base}      `)];
  const dctLeaves = (repo.signers.some((s) => s.signer !== undefined) ? 1 : 0) + (repo.signers.some((s) => s.signer === undefined) ? 1 : 0);
  const newLeaves = o.cosignKeys.length + o.notationTrustStores.length * Math.max(1, o.notationIdentities.length);
  return [
    `${base}# grace period: ${o.requireBoth ? 'DCT and the new format must both sign' : 'DCT or the new format'}; drop the DCT part once re-signed`,
    `${base}${combinator}:`,
    ...group((indent) => dctItems(repo, indent), dctLeaves),
    ...group((indent) => newFormatItems(repo, o, indent), newLeaves),
  ];
}

function validate(o: GenerateOptions): void {
  if (o.repositories.length === 0) throw new DctError('INVALID_ARGUMENT', 'name at least one repository');
  if (o.cosignKeys.length + o.notationTrustStores.length === 0 && !o.keepDct) {
    throw new DctError('INVALID_ARGUMENT', 'nothing to require: give --cosign-key or --notation-trust-store (and/or --keep-dct)');
  }
  if (o.notationIdentities.length > 0 && o.notationTrustStores.length === 0) {
    throw new DctError('INVALID_ARGUMENT', '--notation-identity needs --notation-trust-store');
  }
  for (const s of o.notationTrustStores) {
    if (!/^(ca|signingAuthority):[A-Za-z0-9_.-]+$/.test(s)) {
      throw new DctError('INVALID_ARGUMENT', `--notation-trust-store must be ca:NAME or signingAuthority:NAME, not ${q(s)}`);
    }
  }
  for (const id of o.notationIdentities) {
    if (!id.startsWith('x509.subject:'))
      throw new DctError('INVALID_ARGUMENT', `--notation-identity must be x509.subject: <DN>, not ${q(id)}`);
  }
  for (const r of o.repositories) {
    if (o.keepDct && r.signers.length === 0) throw new DctError('INVALID_ARGUMENT', `${r.gun}: no tag is signed: no DCT signer to keep`);
  }
}

/** The rule name of a repository: its path, lowercase letters, digits and dashes. */
function ruleName(gun: string): string {
  return `migrated-${gun
    .replace(/[^a-z0-9]+/gi, '-')
    .replace(/^-|-$/g, '')
    .toLowerCase()}`;
}

/** The policy file and notation's trust policy. */
export function generatePolicy(o: GenerateOptions): GeneratedPolicy {
  validate(o);
  const lines = [
    `# Generated by dct policy generate at ${o.now.toISOString()} from the DCT trust data of:`,
    ...o.repositories.map(
      (r) => `#   ${r.gun} (${r.source}): ${r.tags} signed ${r.tags === 1 ? 'tag' : 'tags'}, signers ${signerWords(r)}`,
    ),
    '# Check it: dct policy check <this file>',
    'version: 1',
    'defaults: {mode: enforce}',
    'rules:',
  ];
  for (const repo of o.repositories) {
    lines.push(`  - name: ${q(ruleName(repo.gun))}`, `    match: ${q(repo.gun)}`, '    require:', ...requireLines(repo, o));
  }
  const generated: GeneratedPolicy = { yaml: lines.join('\n') + '\n' };
  if (o.notationTrustStores.length > 0) {
    generated.notation = {
      version: '1.0',
      trustPolicies: [
        {
          name: 'dct-migrated',
          registryScopes: [...new Set(o.repositories.map((r) => r.gun))],
          signatureVerification: { level: 'strict' },
          trustStores: [...o.notationTrustStores],
          trustedIdentities: o.notationIdentities.length > 0 ? o.notationIdentities.map(normalIdentity) : ['*'],
        },
      ],
    };
  }
  return generated;
}

/** `x509.subject: C=US` → `x509.subject:C=US` (notation accepts both; one spelling in the document). */
function normalIdentity(id: string): string {
  return `x509.subject:${id.slice('x509.subject:'.length).trim()}`;
}
