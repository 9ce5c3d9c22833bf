/**
 * Where the images commands and the policy read a repository's DCT trust data: the trust
 * bundle named by `--trust-bundle FILE` (or DCT_TRUST_BUNDLE), else its trust server, found
 * as docker finds it. A bundle is read once per process (again when the file changes) and
 * each of its repositories verified once, from this machine's cache of it when there is one.
 */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { readBundleFile } from '../../adapters/trust-bundle/bundle-file.js';
import { FileMetadataCache } from '../../adapters/metadata-cache.js';
import type { TrustDataSource } from '../../app/images/trust-resolver.js';
import { BundleTrustSource } from '../../app/trust-export/bundle-trust-source.js';
import type { TrustIo } from './io.js';
import { TRUST_BUNDLE_ENV } from './trust-bundle-env.js';
import { dockerDirs, openTrustContext } from './trust-context.js';

export { TRUST_BUNDLE_ENV };

/** A repository's trust data and where it came from (a server URL, or the bundle). */
export type LocatedTrustData = TrustDataSource & { location: string };

/** The io a command runs with once `--trust-bundle FILE` is given (the flag wins over DCT_TRUST_BUNDLE). */
export function withTrustBundle<T extends TrustIo>(io: T, flag: string | undefined): T {
  if (flag === undefined) return io;
  return { ...io, env: { ...io.env, [TRUST_BUNDLE_ENV]: resolve(io.cwd, flag) } };
}

/** The trust bundle the io names, as an absolute path, if any. */
export function trustBundlePath(io: TrustIo): string | undefined {
  const v = io.env[TRUST_BUNDLE_ENV];
  return v === undefined || v === '' ? undefined : resolve(io.cwd, v);
}

/** Opens a GUN's trust data for the resolver: from the io's trust bundle, else from its trust server. */
export function trustDataOpener(io: TrustIo): (gun: string) => Promise<LocatedTrustData> {
  const bundle = trustBundlePath(io);
  if (bundle === undefined) {
    return async (gun) => {
      const ctx = await openTrustContext(io, gun);
      return { repo: ctx.repo, close: () => ctx.close(), location: ctx.server.url };
    };
  }
  return async (gun) => {
    const source = await bundleSource(io, bundle);
    return { repo: { read: () => source.read(gun) }, close: () => undefined, location: `trust bundle ${bundle}` };
  };
}

const loaded = new Map<string, { stamp: string; source: Promise<BundleTrustSource> }>();

async function bundleSource(io: TrustIo, path: string): Promise<BundleTrustSource> {
  let stamp = '';
  try {
    const s = await stat(path);
    stamp = `${s.size}:${s.mtimeMs}:${s.ino}`;
  } catch {
    // readBundleFile says what is wrong with the path
  }
  const known = loaded.get(path);
  if (known && known.stamp === stamp && stamp !== '') return known.source;
  const { trustDir } = dockerDirs(io);
  const source = readBundleFile(path).then(
    (contents) =>
      new BundleTrustSource(contents, { name: path, now: () => io.now(), local: (gun) => new FileMetadataCache(trustDir, gun) }),
  );
  loaded.set(path, { stamp, source });
  source.catch(() => loaded.delete(path));
  return source;
}
