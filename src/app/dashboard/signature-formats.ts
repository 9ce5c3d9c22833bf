/**
 * Which formats signed an image of the embedded registry: DCT always (the dashboard lists
 * trust data), cosign when the registry holds a Sigstore bundle referrer of the digest or
 * cosign's legacy `sha256-<hex>.sig` tag, Notation when it holds a Notation signature
 * referrer. Only GUNs of the embedded registry (`<registryName>/<repository>`) can have
 * the others; what is not found in the registry is not claimed.
 */
import { BUNDLE_V03_MEDIA_TYPE } from '../../core/cosign/bundle-referrer.js';
import type { RegistryStore, StoredManifest } from '../../core/ports.js';
import type { SignatureFormat } from '../../core/signatures/signature-report.js';
import { NOTATION_ARTIFACT_TYPE } from '../notation/signature-manifest.js';

/** cosign's bundle media types share this prefix (v0.1 … v0.3) */
const SIGSTORE_BUNDLE = BUNDLE_V03_MEDIA_TYPE.replace(/v0\.3\+json$/, '');

/** A signature's signing certificate: its subject's common name and notAfter (epoch ms). */
export interface SigningCertificate {
  name: string;
  expires: number;
}

/** Reads the signing certificate of a Notation or cosign signature manifest (the registry's blobs). */
export interface SignatureCertificates {
  of(manifest: StoredManifest, format: 'notation' | 'cosign'): Promise<SigningCertificate | undefined>;
}

export interface FoundSignatures {
  /** hex sha256 → formats, DCT first */
  formats: Map<string, SignatureFormat[]>;
  /** the signing certificates of the cosign and Notation signatures found */
  certificates: Array<SigningCertificate & { kind: 'notation-certificate' | 'cosign-certificate' }>;
}

export class SignatureFormats {
  constructor(
    private readonly registry: RegistryStore,
    /** the embedded registry's public name (known once the server listens) */
    private readonly registryName: () => string,
    private readonly certificates?: SignatureCertificates,
  ) {}

  /** The registry repository of a GUN, or undefined when the GUN is not one of its images. */
  repositoryOf(gun: string): string | undefined {
    const name = this.registryName();
    if (name === '' || !gun.startsWith(`${name}/`)) return undefined;
    return gun.slice(name.length + 1);
  }

  /** The formats that signed each digest (hex sha256), DCT first. */
  async of(gun: string, digests: readonly string[]): Promise<Map<string, SignatureFormat[]>> {
    return (await this.find(gun, digests, false)).formats;
  }

  /** The formats of each digest and, with `withCertificates`, the signing certificates of its signatures. */
  async find(gun: string, digests: readonly string[], withCertificates = true): Promise<FoundSignatures> {
    const found: FoundSignatures = { formats: new Map(), certificates: [] };
    const repository = this.repositoryOf(gun);
    const certificate = async (m: StoredManifest, format: 'notation' | 'cosign') => {
      if (!withCertificates || !this.certificates) return;
      const c = await this.certificates.of(m, format);
      if (c) found.certificates.push({ ...c, kind: format === 'notation' ? 'notation-certificate' : 'cosign-certificate' });
    };
    for (const hex of new Set(digests)) {
      const formats: SignatureFormat[] = ['dct'];
      if (repository !== undefined && hex !== '') {
        const referrers = await this.registry.referrers(repository, `sha256:${hex}`);
        const bundles = referrers.filter((r) => (r.artifactType ?? '').startsWith(SIGSTORE_BUNDLE));
        const notations = referrers.filter((r) => r.artifactType === NOTATION_ARTIFACT_TYPE);
        if (bundles.length > 0 || (await this.registry.resolveTag(repository, `sha256-${hex}.sig`)) !== undefined) formats.push('cosign');
        if (notations.length > 0) formats.push('notation');
        for (const m of bundles) await certificate(m, 'cosign');
        for (const m of notations) await certificate(m, 'notation');
      }
      found.formats.set(hex, formats);
    }
    return found;
  }
}
