/**
 * Which Sigstore trusted root dct verifies against: a file the user names (`--trusted-root`),
 * else the root last refreshed from Sigstore's TUF repository (`dct sigstore
 * update-trusted-root`, cached under `$XDG_CACHE_HOME/dct/sigstore/` or
 * `~/.cache/dct/sigstore/`), else the production root dct ships in `assets/sigstore/`.
 *
 * A trusted root is checked before use (`checkTrustedRoot`): the library accepts a log key
 * whose validity interval lacks its start as open-ended; the Sigstore conformance suite
 * (`trust-root-tlog-missing-validity-start_fail`) requires rejecting such a root, so a
 * log or CT log key whose `validFor` has no `start` refuses the root. An absent `validFor`
 * (sigstore-js's own test roots) stays open-ended, as the protobuf spec allows; CA and TSA
 * intervals are left to the library (sigstore-js's test roots give CAs an end only).
 */
import { existsSync } from 'node:fs';
import { access, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DctError, isDctError } from '../../core/errors.js';

/**
 * `assets/sigstore/<name>` of the project: three folders up from this module in `src/` and
 * `dist/`, two from the bundled CLI's chunks in `dist/bin/`, so the nearest one upwards.
 */
function assetPath(name: string): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'assets', 'sigstore', name);
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  return fileURLToPath(new URL(`../../../assets/sigstore/${name}`, import.meta.url));
}
const TRUSTED_ROOT_FILE = 'trusted_root.json';
/** trusted roots are a few kilobytes; anything this large is not one */
const MAX_TRUSTED_ROOT_BYTES = 4 * 1024 * 1024;

export const PUBLIC_GOOD_TUF_MIRROR = 'https://tuf-repo-cdn.sigstore.dev';

export type TrustedRootSource = 'file' | 'cache' | 'shipped';

/** `$XDG_CACHE_HOME/dct/sigstore`, else `~/.cache/dct/sigstore`. */
export function sigstoreCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME && env.XDG_CACHE_HOME.length > 0 ? env.XDG_CACHE_HOME : join(homedir(), '.cache');
  return join(base, 'dct', 'sigstore');
}

/** The shipped production trusted root's path. */
export function shippedTrustedRootPath(): string {
  return assetPath('trusted_root.json');
}

/** The shipped TUF root (`root.json`) that refreshes chain to. */
export function shippedTufRootPath(): string {
  return assetPath('root.json');
}

/** Where the trusted root comes from: `path`, else the refreshed cache (when present), else the shipped one. */
export async function locateTrustedRoot(
  path?: string,
  opts: { cacheDir?: string } = {},
): Promise<{ path: string; source: TrustedRootSource }> {
  if (path !== undefined) return { path, source: 'file' };
  const cached = join(opts.cacheDir ?? sigstoreCacheDir(), TRUSTED_ROOT_FILE);
  try {
    await access(cached);
    return { path: cached, source: 'cache' };
  } catch {
    return { path: shippedTrustedRootPath(), source: 'shipped' };
  }
}

/**
 * The trusted root as parsed JSON (what `BundleVerificationOptions.trustedRoot` takes), checked.
 * Throws SIGSTORE_TRUSTED_ROOT_INVALID when the file is missing, not JSON or not a trusted root.
 * A refreshed cache that fails the check is passed over for the shipped root.
 */
export async function loadTrustedRoot(path?: string, opts: { cacheDir?: string } = {}): Promise<unknown> {
  const located = await locateTrustedRoot(path, opts);
  try {
    return await readTrustedRootFile(located.path);
  } catch (err) {
    if (located.source !== 'cache') throw err;
    return readTrustedRootFile(shippedTrustedRootPath());
  }
}

async function readTrustedRootFile(path: string): Promise<unknown> {
  let text: string;
  try {
    const bytes = await readFile(path);
    if (bytes.length > MAX_TRUSTED_ROOT_BYTES)
      throw new DctError('SIGSTORE_TRUSTED_ROOT_INVALID', `${path} is ${bytes.length} bytes: not a trusted root`);
    text = bytes.toString('utf8');
  } catch (err) {
    if (isDctError(err)) throw err;
    throw new DctError('SIGSTORE_TRUSTED_ROOT_INVALID', `cannot read the trusted root ${path}: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new DctError('SIGSTORE_TRUSTED_ROOT_INVALID', `the trusted root ${path} is not JSON: ${(err as Error).message}`);
  }
  checkTrustedRoot(json);
  return json;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Structural checks the verifier library does not make (see the file comment). Throws
 * SIGSTORE_TRUSTED_ROOT_INVALID naming the entry at fault.
 */
export function checkTrustedRoot(json: unknown): void {
  const fail = (what: string): never => {
    throw new DctError('SIGSTORE_TRUSTED_ROOT_INVALID', `the trusted root is not usable: ${what}`);
  };
  if (!isRecord(json)) fail('it is not a JSON object');
  const root = json as Record<string, unknown>;
  const list = (field: string): unknown[] => {
    const v = root[field];
    if (v === undefined) return [];
    if (!Array.isArray(v)) return fail(`"${field}" is not a list`);
    if (v.length > 256) return fail(`"${field}" lists ${v.length} entries`);
    return v as unknown[];
  };
  const checkValidFor = (validFor: unknown, where: string): void => {
    if (validFor === undefined || validFor === null) return;
    if (!isRecord(validFor)) return fail(`${where}.validFor is not an object`);
    if (typeof validFor.start !== 'string' || Number.isNaN(Date.parse(validFor.start)))
      return fail(`${where}.validFor has no valid "start" (a validity interval must say when it begins)`);
    if (validFor.end !== undefined && validFor.end !== null && (typeof validFor.end !== 'string' || Number.isNaN(Date.parse(validFor.end))))
      return fail(`${where}.validFor.end is not a time`);
  };
  for (const field of ['tlogs', 'ctlogs'] as const) {
    list(field).forEach((log, i) => {
      const where = `${field}[${i}]`;
      if (!isRecord(log) || !isRecord(log.publicKey)) return fail(`${where} has no publicKey`);
      checkValidFor(log.publicKey.validFor, `${where}.publicKey`);
    });
  }
  for (const field of ['certificateAuthorities', 'timestampAuthorities'] as const) {
    list(field).forEach((ca, i) => {
      const where = `${field}[${i}]`;
      if (!isRecord(ca) || !isRecord(ca.certChain) || !Array.isArray(ca.certChain.certificates)) return fail(`${where} has no certChain`);
      if (ca.certChain.certificates.length === 0 || ca.certChain.certificates.length > 16)
        return fail(`${where}.certChain has ${ca.certChain.certificates.length} certificates`);
    });
  }
}

export interface RefreshOptions {
  /** default: the public-good repository */
  mirrorURL?: string;
  /** the TUF root to start from (default: the shipped `assets/sigstore/root.json`) */
  tufRootPath?: string;
  cacheDir?: string;
  /** per request, milliseconds (default 10 s); the whole refresh gets three times that */
  timeoutMs?: number;
}

/**
 * Fetches the current trusted root through Sigstore's TUF repository (every metadata file
 * checked by `@sigstore/tuf` from the shipped TUF root on) and stores it in the cache, where
 * `loadTrustedRoot` finds it. Online only: offline or on any TUF failure it throws
 * SIGSTORE_TUF_UPDATE_FAILED within the time limit, and the previous root stays in use.
 */
export async function refreshTrustedRoot(opts: RefreshOptions = {}): Promise<{ path: string; mirrorURL: string }> {
  const mirrorURL = opts.mirrorURL ?? PUBLIC_GOOD_TUF_MIRROR;
  const cacheDir = opts.cacheDir ?? sigstoreCacheDir();
  const timeout = opts.timeoutMs ?? 10_000;
  const { initTUF } = await import('@sigstore/tuf');
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new DctError('SIGSTORE_TUF_UPDATE_FAILED', `no answer from ${mirrorURL} within ${(3 * timeout) / 1000} s: check the network`),
        ),
      3 * timeout,
    );
    timer.unref();
  });
  let text: string;
  try {
    await mkdir(cacheDir, { recursive: true });
    const fetched = (async () => {
      const tuf = await initTUF({
        mirrorURL,
        rootPath: opts.tufRootPath ?? shippedTufRootPath(),
        cachePath: join(cacheDir, 'tuf'),
        retry: false,
        timeout,
        forceInit: false,
      });
      return tuf.getTarget(TRUSTED_ROOT_FILE);
    })();
    fetched.catch(() => undefined);
    text = await Promise.race([fetched, deadline]);
  } catch (err) {
    if (isDctError(err)) throw err;
    throw new DctError('SIGSTORE_TUF_UPDATE_FAILED', `cannot refresh the trusted root from ${mirrorURL}: ${(err as Error).message}`, {
      cause: err,
    });
  } finally {
    clearTimeout(timer);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new DctError('SIGSTORE_TUF_UPDATE_FAILED', `${mirrorURL} served a trusted_root.json that is not JSON`);
  }
  checkTrustedRoot(json);
  const path = join(cacheDir, TRUSTED_ROOT_FILE);
  await writeFile(`${path}.tmp`, text);
  await rename(`${path}.tmp`, path);
  return { path, mirrorURL };
}
