/**
 * `notation inspect`'s two outputs: the tree (times as Go's ANSIC, in UTC) and the JSON
 * document (times RFC 3339), laid out as notation prints them.
 */
import { descriptorToJSON } from '../../core/oci/descriptor.js';
import type { InspectedCertificate, InspectedEnvelope } from './ports.js';
import type { Inspection } from './inspect-signatures.js';
import { NOTATION_ARTIFACT_TYPE } from './signature-manifest.js';

interface TreeNode {
  label: string;
  children: TreeNode[];
}

function node(label: string, children: TreeNode[] = []): TreeNode {
  return { label, children };
}

function pair(key: string, value: string, children: TreeNode[] = []): TreeNode {
  return node(`${key}: ${value}`, children);
}

function renderTree(root: TreeNode): string {
  let out = `${root.label}\n`;
  const walk = (n: TreeNode, prefix: string): void => {
    n.children.forEach((c, i) => {
      const last = i === n.children.length - 1;
      out += `${prefix}${last ? '└── ' : '├── '}${c.label}\n`;
      walk(c, prefix + (last ? '    ' : '│   '));
    });
  };
  walk(root, '');
  return out;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Go's `time.ANSIC` (`Mon Jan _2 15:04:05 2006`), UTC */
export function ansic(t: Date): string {
  const p2 = (n: number) => String(n).padStart(2, '0');
  return `${DAYS[t.getUTCDay()]} ${MONTHS[t.getUTCMonth()]} ${String(t.getUTCDate()).padStart(2, ' ')} ${p2(t.getUTCHours())}:${p2(t.getUTCMinutes())}:${p2(t.getUTCSeconds())} ${t.getUTCFullYear()}`;
}

/** Go's RFC 3339 of a UTC time (fraction only when not zero, as RFC3339Nano) */
function rfc3339(t: Date, nano = false): string {
  const iso = t.toISOString();
  return nano && t.getUTCMilliseconds() !== 0 ? iso.replace(/0+Z$/, 'Z') : iso.replace(/\.\d{3}Z$/, 'Z');
}

function certificateNodes(certs: readonly InspectedCertificate[]): TreeNode[] {
  return certs.map((c) =>
    pair('SHA256 fingerprint', c.sha256Fingerprint, [
      pair('issued to', c.issuedTo),
      pair('issued by', c.issuedBy),
      pair('expiry', ansic(c.expiry)),
    ]),
  );
}

function signatureNode(digest: string, mediaType: string, e: InspectedEnvelope): TreeNode {
  const signed = [pair('content type', e.contentType), pair('signing scheme', e.signingScheme), pair('signing time', ansic(e.signingTime))];
  if (e.expiry) signed.push(pair('expiry', ansic(e.expiry)));
  for (const [k, v] of Object.entries(e.extendedAttributes ?? {})) signed.push(pair(k, v));
  const metadata = Object.entries(e.signedArtifact.annotations ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const unsigned: TreeNode[] = [];
  if (e.signingAgent) unsigned.push(pair('signing agent', e.signingAgent));
  if (e.timestamp) {
    unsigned.push(
      'error' in e.timestamp
        ? node('timestamp signature', [pair('error', e.timestamp.error)])
        : node('timestamp signature', [
            pair('timestamp', `[${ansic(e.timestamp.range[0])}, ${ansic(e.timestamp.range[1])}]`),
            node('certificates', certificateNodes(e.timestamp.certificates)),
          ]),
    );
  }
  return node(digest, [
    pair('signature algorithm', e.signatureAlgorithm),
    pair('signature envelope type', mediaType),
    node('signed attributes', signed),
    node('user defined attributes', metadata.length > 0 ? metadata.map(([k, v]) => pair(k, v)) : [node('(empty)')]),
    node('unsigned attributes', unsigned),
    node('certificates', certificateNodes(e.certificates)),
    node('signed artifact', [
      pair('media type', e.signedArtifact.mediaType),
      pair('digest', e.signedArtifact.digest),
      pair('size', String(e.signedArtifact.size)),
    ]),
  ]);
}

/** The tree `notation inspect` prints (`--output tree`, the default). */
export function formatInspectionTree(inspection: Inspection): string {
  if (inspection.signatures.length === 0) return `${inspection.reference} has no associated signature\n`;
  const root = node(inspection.reference, [
    node(
      NOTATION_ARTIFACT_TYPE,
      inspection.signatures.map((s) => signatureNode(s.digest, s.envelopeMediaType, s.envelope)),
    ),
  ]);
  return `Inspecting all signatures for signed artifact\n${renderTree(root)}`;
}

function sortedObject<T>(entries: Array<[string, T]>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const [k, v] of entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
    Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  return out;
}

function certificatesJson(certs: readonly InspectedCertificate[]): unknown[] {
  return certs.map((c) => ({
    SHA256Fingerprint: c.sha256Fingerprint,
    issuedTo: c.issuedTo,
    issuedBy: c.issuedBy,
    expiry: rfc3339(c.expiry, true),
  }));
}

/** The JSON document `notation inspect --output json` prints (two-space indent). */
export function formatInspectionJson(inspection: Inspection): string {
  const signatures = inspection.signatures.map((s) => {
    const e = s.envelope;
    const signed: Array<[string, string]> = [
      ['contentType', e.contentType],
      ['signingScheme', e.signingScheme],
      ['signingTime', rfc3339(e.signingTime, true)],
      ...(e.expiry ? [['expiry', rfc3339(e.expiry, true)] as [string, string]] : []),
      ...Object.entries(e.extendedAttributes ?? {}),
    ];
    const unsigned: Array<[string, unknown]> = [];
    if (e.signingAgent) unsigned.push(['signingAgent', e.signingAgent]);
    if (e.timestamp)
      unsigned.push([
        'timestampSignature',
        'error' in e.timestamp
          ? { error: e.timestamp.error }
          : {
              timestamp: `[${rfc3339(e.timestamp.range[0], true)}, ${rfc3339(e.timestamp.range[1], true)}]`,
              certificates: certificatesJson(e.timestamp.certificates),
            },
      ]);
    const { annotations, ...artifact } = e.signedArtifact;
    return {
      digest: s.digest,
      signatureAlgorithm: e.signatureAlgorithm,
      signatureEnvelopeType: s.envelopeMediaType,
      signedAttributes: sortedObject(signed),
      userDefinedAttributes: annotations && Object.keys(annotations).length > 0 ? sortedObject(Object.entries(annotations)) : null,
      unsignedAttributes: sortedObject(unsigned),
      certificates: certificatesJson(e.certificates),
      signedArtifact: descriptorToJSON(artifact),
    };
  });
  return `${JSON.stringify({ mediaType: inspection.artifact.mediaType, signatures }, null, 2)}\n`;
}
