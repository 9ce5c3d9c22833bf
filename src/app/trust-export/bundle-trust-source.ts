/**
 * A trust bundle as the trust source of the image commands and the policy (`--trust-bundle`):
 * an air-gapped site resolves and verifies images with no trust server. Each repository is
 * verified once, with the client's rules, the first time it is asked for (`verify-bundle`'s
 * checks: every file against the manifest, the root chain, the client update), starting from
 * this machine's cache of the repository when it has one (a bundle must then continue the
 * root trusted before and may not roll back). Data expired since the export is verified as of
 * the export and said so in a warning; a repository the bundle lacks is BUNDLE_REPOSITORY_MISSING.
 */
import { DctError } from '../../core/errors.js';
import type { MetadataSource } from '../../core/ports.js';
import { parseManifest, type TrustBundleManifest } from '../../core/trust-bundle/manifest.js';
import type { BundleContents } from '../../core/trust-bundle/ports.js';
import type { TrustedSet } from '../../core/trust/trusted-set.js';
import { verifyBundleRepository } from './verify-bundle.js';

export interface BundleTrustSourceOptions {
  /** how the bundle is named in messages (its path) */
  name: string;
  now(): Date;
  /** this machine's cache of a repository, if it keeps one */
  local?(gun: string): MetadataSource;
}

export interface BundleRead {
  trusted: TrustedSet;
  warnings: string[];
}

export class BundleTrustSource {
  private readonly manifest: TrustBundleManifest;
  private readonly reads = new Map<string, Promise<BundleRead>>();

  /** Throws BUNDLE_INVALID when the contents are not a bundle. */
  constructor(
    private readonly contents: BundleContents,
    private readonly o: BundleTrustSourceOptions,
  ) {
    this.manifest = parseManifest(contents.manifest);
  }

  /** the repositories the bundle holds */
  get repositories(): string[] {
    return this.manifest.repositories.map((r) => r.gun);
  }

  /** The verified trust data of `gun` (verified once; a refusal is thrown each time). */
  read(gun: string): Promise<BundleRead> {
    let p = this.reads.get(gun);
    if (!p) {
      p = this.verify(gun);
      this.reads.set(gun, p);
    }
    return p;
  }

  private async verify(gun: string): Promise<BundleRead> {
    const repo = this.manifest.repositories.find((r) => r.gun === gun);
    if (!repo) {
      const held = this.repositories;
      throw new DctError(
        'BUNDLE_REPOSITORY_MISSING',
        `the trust bundle ${this.o.name} holds no trust data for ${gun} (it holds ${held.length ? held.join(', ') : 'none'}); ` +
          `export it where the trust server is reachable: \`dct trust export ${gun} --output BUNDLE\``,
      );
    }
    const local = this.o.local?.(gun);
    const trust = await verifyBundleRepository(repo, this.contents.files, { now: this.o.now(), ...(local ? { local } : {}) });
    const warnings = [...trust.warnings];
    if (trust.label) warnings.push(`trust data of ${gun} from ${this.o.name} (exported ${this.manifest.exportedAt}): ${trust.label}`);
    return { trusted: trust.set, warnings };
  }
}
