/** `dct server gc`: garbage collection of the embedded registry's storage, from the server's settings. */
import { FsBlobStore } from '../../adapters/blob-store/fs-blob-store.js';
import { openStore } from '../../adapters/storage/open-store.js';
import { DctError } from '../../core/errors.js';
import { parseListen, type ServerConfig } from '../config.js';
import { registryDataDir } from './embedded-registry.js';
import { collectGarbage, type GcReport } from './gc.js';

/** `30m`, `2h`, `1d`, `45s`, `0` → milliseconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!m) throw new DctError('INVALID_PARAMETERS', `invalid duration ${JSON.stringify(text)}: expected e.g. 30m, 2h, 1d`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3600_000, d: 86_400_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h' | 'd'];
  return Number(m[1]) * unit;
}

/** The registry name GC assumes: the configured one, else the listen address (as the server derives it). */
export function configuredRegistryName(config: ServerConfig): string {
  if (config.registryName) return config.registryName;
  const { host, port } = parseListen(config.listen);
  const wildcard = host === '' || host === '0.0.0.0' || host === '::';
  return `${wildcard ? 'localhost' : host.includes(':') ? `[${host}]` : host}:${port}`;
}

export async function runGarbageCollection(
  config: ServerConfig,
  opts: { graceMs: number; dryRun: boolean; now?: Date },
): Promise<GcReport> {
  if (!config.registry) throw new DctError('INVALID_CONFIG', 'the embedded registry is off (--no-registry): nothing to collect');
  const store = await openStore(config.storage);
  try {
    const blobs = await FsBlobStore.open(registryDataDir(config.dataDir));
    return await collectGarbage({
      store: store.registry,
      blobs,
      tuf: store,
      registryName: configuredRegistryName(config),
      now: opts.now ?? new Date(),
      graceMs: opts.graceMs,
      dryRun: opts.dryRun,
    });
  } finally {
    await store.close();
  }
}

/** A few lines for people. */
export function formatGcReport(report: GcReport, dryRun: boolean): string {
  const verb = dryRun ? 'would remove' : 'removed';
  return (
    `${report.repositories} repositories, ${report.manifestsKept} manifests kept (${report.signedKept.length} untagged but signed)\n` +
    `${verb} ${report.manifestsRemoved.length} manifests, ${report.blobLinksRemoved.length} blob links, ` +
    `${report.blobsRemoved.length} blobs (${report.bytesFreed} bytes), ${report.uploadsRemoved} abandoned uploads\n`
  );
}
