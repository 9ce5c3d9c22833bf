/**
 * `notation inspect`'s two outputs for one signature: the JSON object (`--output json`, field
 * names and order as notation writes them; the caller adds `digest` for OCI signatures) and the
 * tree (`--output tree`), as nodes the caller can hang under its own root and render with the
 * `├──`/`└──` connectors notation uses.
 */
import type { CertificateSummary, EnvelopeInspection } from './inspect-envelope.js';

/** Go's RFC 3339 with nanoseconds: UTC `Z`, fraction without trailing zeros. */
export function rfc3339Nano(t: Date): string {
  return t.toISOString().replace(/\.(\d*?)0*Z$/, (_, frac: string) => (frac === '' ? 'Z' : `.${frac}Z`));
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number) => String(n).padStart(2, '0');

/** Go's `time.ANSIC` in UTC: `Tue Dec 31 08:05:29 2024` (day padded with a space). */
export function ansic(t: Date): string {
  return (
    `${DAYS[t.getUTCDay()]} ${MONTHS[t.getUTCMonth()]} ${String(t.getUTCDate()).padStart(2, ' ')} ` +
    `${pad(t.getUTCHours())}:${pad(t.getUTCMinutes())}:${pad(t.getUTCSeconds())} ${t.getUTCFullYear()}`
  );
}

function sortedObject(entries: [string, unknown][]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) out[k] = v;
  return out;
}

function certificateJson(c: CertificateSummary): Record<string, unknown> {
  return { SHA256Fingerprint: c.sha256Fingerprint, issuedTo: c.issuedTo, issuedBy: c.issuedBy, expiry: rfc3339Nano(c.expiry) };
}

function signedAttributeEntries(i: EnvelopeInspection, time: (t: Date) => string): [string, string][] {
  const a = i.signedAttributes;
  return [
    ['contentType', a.contentType],
    ['signingScheme', a.signingScheme],
    ...(a.signingTime !== undefined ? ([['signingTime', time(a.signingTime)]] as [string, string][]) : []),
    // notation shows the authentic signing time of notary.x509.signingAuthority as its signing time
    ...(a.authenticSigningTime !== undefined ? ([['signingTime', time(a.authenticSigningTime)]] as [string, string][]) : []),
    ...(a.expiry !== undefined ? ([['expiry', time(a.expiry)]] as [string, string][]) : []),
    ...Object.entries(a.extended),
  ];
}

/** The JSON object notation prints for one signature (without the OCI `digest`). */
export function inspectionJson(i: EnvelopeInspection): Record<string, unknown> {
  const ts = i.unsignedAttributes.timestampSignature;
  const user = Object.entries(i.userDefinedAttributes);
  return {
    signatureAlgorithm: i.signatureAlgorithm,
    signatureEnvelopeType: i.mediaType,
    signedAttributes: sortedObject(signedAttributeEntries(i, rfc3339Nano)),
    userDefinedAttributes: user.length === 0 ? null : sortedObject(user),
    unsignedAttributes: {
      ...(i.unsignedAttributes.signingAgent !== undefined ? { signingAgent: i.unsignedAttributes.signingAgent } : {}),
      ...(ts !== undefined
        ? {
            timestampSignature:
              ts.error !== undefined
                ? { error: ts.error }
                : {
                    timestamp:
                      ts.timestamp !== undefined ? `[${rfc3339Nano(ts.timestamp.earliest)}, ${rfc3339Nano(ts.timestamp.latest)}]` : '',
                    certificates: (ts.certificates ?? []).map(certificateJson),
                  },
          }
        : {}),
    },
    certificates: i.certificates.map(certificateJson),
    signedArtifact: { mediaType: i.signedArtifact.mediaType, digest: i.signedArtifact.digest, size: i.signedArtifact.size },
  };
}

export interface TreeNode {
  text: string;
  children: TreeNode[];
}

const node = (text: string, children: TreeNode[] = []): TreeNode => ({ text, children });

const LABELS: Readonly<Record<string, string>> = {
  contentType: 'content type',
  signingScheme: 'signing scheme',
  signingTime: 'signing time',
  expiry: 'expiry',
};

function certificateNodes(certs: readonly CertificateSummary[]): TreeNode[] {
  return certs.map((c) =>
    node(`SHA256 fingerprint: ${c.sha256Fingerprint}`, [
      node(`issued to: ${c.issuedTo}`),
      node(`issued by: ${c.issuedBy}`),
      node(`expiry: ${ansic(c.expiry)}`),
    ]),
  );
}

/** The children notation shows under one signature in `--output tree`. */
export function inspectionTree(i: EnvelopeInspection): TreeNode[] {
  const signed = signedAttributeEntries(i, ansic);
  const known = signed.filter(([k]) => Object.hasOwn(LABELS, k)).map(([k, v]) => node(`${LABELS[k]}: ${v}`));
  const extended = signed.filter(([k]) => !Object.hasOwn(LABELS, k)).map(([k, v]) => node(`${k}: ${v}`));
  const user = Object.entries(i.userDefinedAttributes).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const ts = i.unsignedAttributes.timestampSignature;
  const unsigned: TreeNode[] = [
    ...(i.unsignedAttributes.signingAgent !== undefined ? [node(`signing agent: ${i.unsignedAttributes.signingAgent}`)] : []),
    ...(ts !== undefined
      ? [
          node(
            'timestamp signature',
            ts.error !== undefined
              ? [node(`error: ${ts.error}`)]
              : [
                  node(`timestamp: [${ts.timestamp ? `${ansic(ts.timestamp.earliest)}, ${ansic(ts.timestamp.latest)}` : ''}]`),
                  node('certificates', certificateNodes(ts.certificates ?? [])),
                ],
          ),
        ]
      : []),
  ];
  return [
    node(`signature algorithm: ${i.signatureAlgorithm}`),
    node(`signature envelope type: ${i.mediaType}`),
    node('signed attributes', [...known, ...extended]),
    node('user defined attributes', user.length === 0 ? [node('(empty)')] : user.map(([k, v]) => node(`${k}: ${v}`))),
    node('unsigned attributes', unsigned),
    node('certificates', certificateNodes(i.certificates)),
    node('signed artifact', [
      node(`media type: ${i.signedArtifact.mediaType}`),
      node(`digest: ${i.signedArtifact.digest}`),
      node(`size: ${i.signedArtifact.size}`),
    ]),
  ];
}

/** Renders nodes below a parent line, with notation's connectors. */
export function renderTree(nodes: readonly TreeNode[], prefix = ''): string[] {
  const lines: string[] = [];
  nodes.forEach((n, idx) => {
    const last = idx === nodes.length - 1;
    lines.push(`${prefix}${last ? '└── ' : '├── '}${n.text}`);
    lines.push(...renderTree(n.children, `${prefix}${last ? '    ' : '│   '}`));
  });
  return lines;
}
