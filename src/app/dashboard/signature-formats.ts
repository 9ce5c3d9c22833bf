/**
 * Which formats signed an image of the embedded registry: DCT always (the dashboard lists
 * trust data), cosign when the registry holds a Sigstore bundle referrer of the digest or
 * cosign's legacy `sha256-<hex>.sig` tag, Notation when it holds a Notation signature
 * referrer. Only GUNs of the embedded registry (`<registryName>/<repository>`) can have
 * the others; what is not found in the registry is not claimed.
 */
import { BUNDLE_V03_MEDIA_TYPE } from '../../core/cosign/bundle-referrer.js';
import type { RegistryStore } from '../../core/ports.js';
import type { SignatureFormat } from '../../core/signatures/signature-report.js';
import { NOTATION_ARTIFACT_TYPE } from '../notation/signature-manifest.js';

/** cosign's bundle media types share this prefix (v0.1 … v0.3) */
const SIGSTORE_BUNDLE = BUNDLE_V03_MEDIA_TYPE.replace(/v0\.3\+json$/, '');

export class SignatureFormats {
  constructor(
    private readonly registry: RegistryStore,
    /** the embedded registry's public name (known once the server listens) */
    private readonly registryName: () => string,
  ) {}

  /** The registry repository of a GUN, or undefined when the GUN is not one of its images. */
  repositoryOf(gun: string): string | undefined {
    const name = this.registryName();
    if (name === '' || !gun.startsWith(`${name}/`)) return undefined;
    return gun.slice(name.length + 1);
  }

  /** The formats that signed each digest (hex sha256), DCT first. */
  async of(gun: string, digests: readonly string[]): Promise<Map<string, SignatureFormat[]>> {
    const out = new Map<string, SignatureFormat[]>();
    const repository = this.repositoryOf(gun);
    for (const hex of new Set(digests)) {
      const formats: SignatureFormat[] = ['dct'];
      if (repository !== undefined && hex !== '') {
        const referrers = await this.registry.referrers(repository, `sha256:${hex}`);
        const types = referrers.map((r) => r.artifactType ?? '');
        const cosign =
          types.some((t) => t.startsWith(SIGSTORE_BUNDLE)) ||
          (await this.registry.resolveTag(repository, `sha256-${hex}.sig`)) !== undefined;
        if (cosign) formats.push('cosign');
        if (types.includes(NOTATION_ARTIFACT_TYPE)) formats.push('notation');
      }
      out.set(hex, formats);
    }
    return out;
  }
}
