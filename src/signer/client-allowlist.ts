/**
 * Which client certificates `dct signer` serves, beyond "issued by the client
 * CA": an allowlist of SHA-256 certificate fingerprints and subject
 * alternative names. Entries:
 *
 *   sha256:<64 hex>, <64 hex> or AB:CD:… (openssl x509 -fingerprint -sha256)
 *   DNS:<name>, IP:<address>, URI:<uri>, email:<address>   (a SAN of the certificate)
 *
 * An empty list allows every certificate the CA issued (the behaviour without
 * the setting).
 */
import type { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { DctError } from '../core/errors.js';

const SAN_KINDS: Record<string, string> = { dns: 'DNS', ip: 'IP', 'ip address': 'IP', uri: 'URI', email: 'email' };

export class ClientAllowlist {
  private readonly fingerprints = new Set<string>();
  private readonly names = new Set<string>();

  /** Throws INVALID_ARGUMENT naming a malformed entry. */
  constructor(entries: readonly string[]) {
    for (const raw of entries) {
      const entry = raw.trim();
      const fingerprint = /^(?:sha256:)?([0-9a-f]{64}|(?:[0-9a-f]{2}:){31}[0-9a-f]{2})$/i.exec(entry);
      if (fingerprint) {
        this.fingerprints.add((fingerprint[1] as string).replace(/:/g, '').toLowerCase());
        continue;
      }
      const san = sanKey(entry);
      if (!san) {
        throw new DctError(
          'INVALID_ARGUMENT',
          `allowed client ${JSON.stringify(raw)} is neither a SHA-256 certificate fingerprint (sha256:<64 hex digits>) nor a subject alternative name (DNS:…, IP:…, URI:…, email:…)`,
        );
      }
      this.names.add(san);
    }
  }

  get empty(): boolean {
    return this.fingerprints.size === 0 && this.names.size === 0;
  }

  /** Is this (CA-verified) client certificate on the list? An empty list allows all. */
  allows(cert: X509Certificate): boolean {
    if (this.empty) return true;
    if (this.fingerprints.has(fingerprintOf(cert))) return true;
    return subjectAltNames(cert).some((name) => this.names.has(name));
  }
}

/** `sha256:<lower-case hex>` of the certificate's DER. */
export function fingerprintOf(cert: X509Certificate): string {
  return cert.fingerprint256.replace(/:/g, '').toLowerCase();
}

/** How a refused certificate is named in the log: subject, SANs and fingerprint (enough to add it to the list). */
export function describeCertificate(cert: X509Certificate | undefined): string {
  if (!cert) return 'no client certificate';
  const sans = subjectAltNames(cert);
  return `subject ${JSON.stringify(cert.subject.replace(/\n/g, ', '))}${sans.length ? `, SANs ${sans.join(' ')}` : ''}, sha256:${fingerprintOf(cert)}`;
}

/** The certificate's SANs as `KIND:value` in the allowlist's spelling. */
function subjectAltNames(cert: X509Certificate): string[] {
  const text = cert.subjectAltName;
  if (!text) return [];
  const names: string[] = [];
  // node writes `DNS:a, IP Address:127.0.0.1, URI:…`; values with separators come JSON-quoted
  for (const m of text.matchAll(/(DNS|IP Address|URI|email):("(?:[^"\\]|\\.)*"|[^,]*)(?:, |$)/g)) {
    let value = m[2] as string;
    if (value.startsWith('"')) {
      try {
        value = JSON.parse(value) as string;
      } catch {
        continue;
      }
    }
    const key = sanKey(`${m[1]}:${value}`);
    if (key) names.push(key);
  }
  return names;
}

/** `kind:value` normalised (kind spelled as in the list, DNS names lower-case, IPv6 addresses compressed); undefined when not a SAN. */
function sanKey(entry: string): string | undefined {
  const colon = entry.indexOf(':');
  if (colon <= 0) return undefined;
  const kind = SAN_KINDS[entry.slice(0, colon).trim().toLowerCase()];
  const value = entry.slice(colon + 1).trim();
  if (!kind || value === '') return undefined;
  if (kind === 'DNS') return `DNS:${value.toLowerCase()}`;
  if (kind === 'IP') {
    if (isIP(value) === 0) return undefined;
    return `IP:${isIP(value) === 6 ? new URL(`http://[${value}]/`).hostname.slice(1, -1) : value}`;
  }
  return `${kind}:${value}`;
}
