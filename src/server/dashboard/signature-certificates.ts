/**
 * The signing certificates of the embedded registry's Notation and cosign signatures, for the
 * dashboard's expiry timeline: the leaf of a Notation envelope's chain, and the certificate of a
 * cosign (keyless) Sigstore bundle. Read from the registry's blob files, each capped in size;
 * a signature whose certificate cannot be read is skipped (the formats still show it).
 */
import { X509Certificate } from 'node:crypto';
import type { FsBlobStore } from '../../adapters/blob-store/fs-blob-store.js';
import { parseEnvelope } from '../../adapters/notation/envelope/parse-envelope.js';
import type { SignatureCertificates, SigningCertificate } from '../../app/dashboard/signature-formats.js';
import type { StoredManifest } from '../../core/ports.js';

/** larger signature blobs are not read */
const MAX_BLOB_BYTES = 4 * 1024 * 1024;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export class RegistrySignatureCertificates implements SignatureCertificates {
  constructor(private readonly blobs: FsBlobStore) {}

  async of(manifest: StoredManifest, format: 'notation' | 'cosign'): Promise<SigningCertificate | undefined> {
    try {
      const doc = JSON.parse(manifest.data.toString('utf8')) as unknown;
      const layer = isObject(doc) && Array.isArray(doc['layers']) ? (doc['layers'][0] as unknown) : undefined;
      if (!isObject(layer) || typeof layer['digest'] !== 'string' || typeof layer['mediaType'] !== 'string') return undefined;
      const bytes = await this.read(layer['digest']);
      if (!bytes) return undefined;
      const leaf = format === 'notation' ? parseEnvelope(bytes, layer['mediaType']).chain[0] : bundleCertificate(bytes);
      if (!leaf) return undefined;
      const expires = Date.parse(leaf.validTo);
      if (Number.isNaN(expires)) return undefined;
      return { name: commonName(leaf.subject), expires };
    } catch {
      return undefined;
    }
  }

  private async read(digest: string): Promise<Buffer | undefined> {
    const stream = await this.blobs.read(digest);
    if (!stream) return undefined;
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_BLOB_BYTES) {
        stream.destroy();
        return undefined;
      }
      chunks.push(chunk);
    }
    return Buffer.concat(chunks);
  }
}

/** The signing certificate of a Sigstore bundle (v0.3 `certificate`, older `x509CertificateChain`); none for a key. */
function bundleCertificate(bytes: Buffer): X509Certificate | undefined {
  const bundle = JSON.parse(bytes.toString('utf8')) as unknown;
  const material = isObject(bundle) ? bundle['verificationMaterial'] : undefined;
  if (!isObject(material)) return undefined;
  const single = material['certificate'];
  const chain = material['x509CertificateChain'];
  const raw = isObject(single)
    ? single['rawBytes']
    : isObject(chain) && Array.isArray(chain['certificates']) && isObject(chain['certificates'][0])
      ? chain['certificates'][0]['rawBytes']
      : undefined;
  return typeof raw === 'string' ? new X509Certificate(Buffer.from(raw, 'base64')) : undefined;
}

/** `CN=…` of a subject, else the subject as written. */
function commonName(subject: string): string {
  return /^CN=(.*)$/m.exec(subject)?.[1] ?? subject.replace(/\n/g, ', ');
}
