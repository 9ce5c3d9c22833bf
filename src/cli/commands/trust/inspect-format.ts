/**
 * `docker trust inspect` outputs, byte for byte (spec §7.9):
 * - JSON: docker's `trustRepo` objects as Go's `json.Marshal` writes them (HTML-safe
 *   string escapes, `omitempty` members), indented by `json.Indent` with 4 spaces;
 * - `--pretty`: the signed-tags and signers tables laid out by docker's tabwriter
 *   (minwidth 10, padding 3, cell width = display width of the text) and the
 *   administrative keys.
 */
import { naturalCompare } from '../../../app/docker-trust/natural-order.js';
import type { TrustInfo } from '../../../app/docker-trust/inspect.js';
import { REPO_ADMIN } from '../../../app/docker-trust/roles.js';
import { goJsonString } from '../../../core/canonical-json.js';

// ---- JSON -------------------------------------------------------------------------------------

type GoJson = string | number | boolean | null | GoJson[] | { [key: string]: GoJson };

/** docker's `trustRepo` value for one inspected argument (member order and omissions as Go's). */
export function trustRepoJson(name: string, info: TrustInfo): GoJson {
  const signer = (signerName: string, keyIds: readonly string[]): GoJson => {
    const out: Record<string, GoJson> = {};
    if (signerName !== '') out['Name'] = signerName;
    const keys = keyIds.map((id): GoJson => (id === '' ? {} : { ID: id }));
    if (keys.length > 0) out['Keys'] = keys;
    return out;
  };
  const signers = [...info.signers].sort((a, b) => (a.name > b.name ? -1 : a.name < b.name ? 1 : 0));
  return {
    Name: name,
    SignedTags: info.signedTags.map((t) => ({
      SignedTag: t.tag,
      Digest: t.digest,
      Signers: t.signers.length > 0 ? [...t.signers] : [REPO_ADMIN],
    })),
    Signers: signers.map((s) => signer(s.name, s.keyIds)),
    AdministrativeKeys: [signer('Root', info.rootKeyIds), signer('Repository', info.repositoryKeyIds)],
  };
}

/** Go `json.Marshal` + `json.Indent(…, "", "    ")` of a value (the array of inspected repositories). */
export function goIndentedJson(value: GoJson, indent = '    ', depth = 0): string {
  const pad = (d: number) => '\n' + indent.repeat(d);
  if (value === null) return 'null';
  if (typeof value === 'string') return goJsonString(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return '[' + value.map((v) => pad(depth + 1) + goIndentedJson(v, indent, depth + 1)).join(',') + pad(depth) + ']';
  }
  const entries = Object.entries(value);
  if (entries.length === 0) return '{}';
  return (
    '{' +
    entries.map(([k, v]) => `${pad(depth + 1)}${goJsonString(k)}: ${goIndentedJson(v, indent, depth + 1)}`).join(',') +
    pad(depth) +
    '}'
  );
}

/** What `docker trust inspect` prints on stdout for the repositories it could inspect. */
export function inspectJson(repos: ReadonlyArray<{ name: string; info: TrustInfo }>): string {
  const value = repos.map((r) => trustRepoJson(r.name, r.info));
  // fast path: JSON.stringify lays out as json.Indent does; Go's escapes differ only for
  // <, >, & and U+2028/U+2029 (which occur only inside strings), \b and \f (Go: \u0008,
  // \u000c) and lone surrogates: those rare cases take the exact, slower writer
  const fast = JSON.stringify(value, null, 4);
  if (/\\(u[dD][89a-fA-F]|[bf])/.test(fast)) return goIndentedJson(value) + '\n';
  return fast.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`) + '\n';
}

// ---- pretty --------------------------------------------------------------------------------------

/** Display width as docker's tabwriter measures it (go-runewidth, East Asian ambiguous = narrow). */
export function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) {
    const cp = ch.codePointAt(0) as number;
    if (cp === 0 || /\p{Mn}|\p{Me}|\p{Cf}/u.test(ch) || (cp >= 0x1160 && cp <= 0x11ff)) continue;
    if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) continue;
    w += isWide(cp) || /\p{Extended_Pictographic}/u.test(ch) ? 2 : 1;
  }
  return w;
}

function isWide(cp: number): boolean {
  return (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0x303e) ||
    (cp >= 0x3041 && cp <= 0x33ff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0xa000 && cp <= 0xa4cf) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  );
}

/** docker's table formatter: tabwriter(minwidth 10, tabwidth 1, padding 3, ' '); the last cell is not padded. */
export function dockerTable(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.slice(0, -1).forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 10, displayWidth(cell) + 3);
    });
  }
  return rows
    .map(
      (row) =>
        row.map((cell, i) => (i < row.length - 1 ? cell + ' '.repeat((widths[i] as number) - displayWidth(cell)) : cell)).join('') + '\n',
    )
    .join('');
}

/** docker's `formatter.TruncateID` */
export function truncateId(id: string): string {
  const colon = id.indexOf(':');
  const bare = colon >= 0 ? id.slice(colon + 1) : id;
  return bare.length > 12 ? bare.slice(0, 12) : bare;
}

const byteOrder = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

/** `docker trust inspect --pretty` for one argument. */
export function inspectPretty(name: string, info: TrustInfo): string {
  let out = '';
  if (info.signedTags.length > 0) {
    out += `\nSignatures for ${name}\n\n`;
    out += dockerTable([
      ['SIGNED TAG', 'DIGEST', 'SIGNERS'],
      ...info.signedTags.map((t) => [
        t.tag,
        t.digest,
        t.signers.length > 0 ? [...t.signers].sort(byteOrder).join(', ') : `(${REPO_ADMIN})`,
      ]),
    ]);
  } else {
    out += `\nNo signatures for ${name}\n\n`;
  }
  if (info.signers.length > 0) {
    out += `\nList of signers and their keys for ${name}\n\n`;
    const signers = [...info.signers].sort((a, b) => naturalCompare(a.name, b.name));
    out += dockerTable([['SIGNER', 'KEYS'], ...signers.map((s) => [s.name, [...s.keyIds].sort(byteOrder).map(truncateId).join(', ')])]);
  }
  out += `\nAdministrative keys for ${name}\n\n`;
  out += `  Repository Key:\t${[...info.repositoryKeyIds].sort(byteOrder).join(', ')}\n`;
  out += `  Root Key:\t${[...info.rootKeyIds].sort(byteOrder).join(', ')}\n`;
  return out;
}
