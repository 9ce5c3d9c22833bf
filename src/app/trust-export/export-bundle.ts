/**
 * `dct trust export`: exports every repository asked for (one after another, each
 * verified by the client update) and writes one bundle: the manifest and every file, all
 * or nothing (any failure leaves no bundle, the writer's contract).
 */
import { DctError, isDctError } from '../../core/errors.js';
import { BUNDLE_MEDIA_TYPE, serializeManifest, type BundleRepository, type TrustBundleManifest } from '../../core/trust-bundle/manifest.js';
import type { BundleFile, BundleWriter } from '../../core/trust-bundle/ports.js';
import { exportRepository, type RepositorySource } from './export-repository.js';

export interface ExportItem {
  gun: string;
  /** opens the repository's source (a trust server's repository, a trust dir's cache) */
  source(): Promise<RepositorySource>;
}

export interface ExportOptions {
  items: readonly ExportItem[];
  now: Date;
  dctVersion: string;
  writer: BundleWriter;
  onProgress?(gun: string, done: number, total: number): void;
}

export async function exportBundle(o: ExportOptions): Promise<TrustBundleManifest> {
  const repositories: BundleRepository[] = [];
  const files: BundleFile[] = [];
  for (const [i, item] of o.items.entries()) {
    o.onProgress?.(item.gun, i, o.items.length);
    let exported;
    try {
      exported = await exportRepository(item.gun, await item.source(), o.now);
    } catch (err) {
      // the repository named, the code kept (a script matches on it)
      if (isDctError(err)) throw new DctError(err.code, `${item.gun}: ${err.message}`, { cause: err });
      throw err;
    }
    repositories.push(exported.repository);
    files.push(...exported.files);
  }
  o.onProgress?.('', o.items.length, o.items.length);
  const manifest: TrustBundleManifest = {
    mediaType: BUNDLE_MEDIA_TYPE,
    exportedAt: o.now.toISOString(),
    dctVersion: o.dctVersion,
    repositories,
  };
  await o.writer.write(serializeManifest(manifest), files);
  return manifest;
}
