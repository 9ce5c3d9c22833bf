/**
 * The Sigstore client conformance suite's `verify-bundle` protocol over files, as
 * `dct sigstore verify-bundle` runs it (and as tests call it in process):
 *
 *   verify-bundle [--staging] --bundle F (--key F | --certificate-identity I --certificate-oidc-issuer I)
 *                 [--trusted-root F] ARTIFACT_PATH|sha256:HEX
 *
 * The last argument is a digest only when it is `sha256:` plus 64 hex digits and no file of
 * that name exists; otherwise it is a path. Identity and issuer match exactly. Without
 * `--trusted-root` the production root (refreshed cache, else shipped) is used; `--staging`
 * needs `--trusted-root` or a staging root in the cache (dct ships only production's).
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DctError, isDctError } from '../../core/errors.js';
import type { BundleVerification, SignedArtifact, SigstorePolicy } from '../../core/signatures/sigstore-verification.js';
import { SigstoreBundleVerifier, type SigstoreVerifyOptions } from './bundle-verifier.js';
import { loadTrustedRoot, sigstoreCacheDir } from './trusted-root.js';

/** real bundles are a few kilobytes; a DSSE payload may be larger, but not this */
export const MAX_BUNDLE_BYTES = 32 * 1024 * 1024;

export interface VerifyBundleRequest {
  bundlePath: string;
  /** ARTIFACT_PATH or `sha256:<hex>` */
  artifact: string;
  keyPath?: string;
  identity?: string;
  issuer?: string;
  trustedRootPath?: string;
  staging?: boolean;
  /** base for relative paths (default: the process's working directory) */
  cwd?: string;
  cacheDir?: string;
}

const DIGEST_ARGUMENT = /^sha256:[0-9a-f]{64}$/;

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

const resolved = (path: string, cwd?: string): string => (cwd && !path.startsWith('/') ? join(cwd, path) : path);

async function readInput(path: string, what: string, max: number): Promise<Buffer> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch {
    throw new DctError('FILE_NOT_FOUND', `${what} ${path} does not exist`);
  }
  if (size > max) throw new DctError('FILE_TOO_LARGE', `${what} ${path} is ${size} bytes, more than the ${max} dct reads`);
  try {
    return await readFile(path);
  } catch (err) {
    throw new DctError('FILE_NOT_FOUND', `cannot read ${what} ${path}: ${(err as Error).message}`);
  }
}

/** The artifact argument by the protocol's rule: a digest (`sha256:<hex>`, not an existing file) or a path. */
export async function artifactArgument(arg: string, cwd?: string): Promise<SignedArtifact> {
  const path = resolved(arg, cwd);
  if (DIGEST_ARGUMENT.test(arg) && !(await isFile(path))) return { digest: arg };
  return { bytes: await readInput(path, 'the artifact', Number.MAX_SAFE_INTEGER) };
}

/**
 * A bundle's JSON from its bytes (a file, a registry layer): more than MAX_BUNDLE_BYTES is
 * SIGSTORE_BUNDLE_TOO_LARGE, anything that is not JSON (a truncated bundle) SIGSTORE_BUNDLE_MALFORMED.
 */
export function parseBundleJson(bytes: Uint8Array, where = 'the bundle'): unknown {
  if (bytes.length > MAX_BUNDLE_BYTES)
    throw new DctError('SIGSTORE_BUNDLE_TOO_LARGE', `${where} is ${bytes.length} bytes, more than the ${MAX_BUNDLE_BYTES} dct reads`);
  try {
    return JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (err) {
    throw new DctError('SIGSTORE_BUNDLE_MALFORMED', `${where} is not JSON: ${(err as Error).message}`);
  }
}

/** A bundle file's JSON (see parseBundleJson). */
export async function readBundleFile(path: string): Promise<unknown> {
  return parseBundleJson(await readInput(path, 'the bundle', MAX_BUNDLE_BYTES), `the bundle ${path}`);
}

/** The policy the flags give: `--key`, or both identity and issuer (exact matches). */
export async function policyOf(req: Pick<VerifyBundleRequest, 'keyPath' | 'identity' | 'issuer' | 'cwd'>): Promise<SigstorePolicy> {
  if (req.keyPath !== undefined) {
    if (req.identity !== undefined || req.issuer !== undefined)
      throw new DctError('SIGSTORE_POLICY_INVALID', 'give either --key or --certificate-identity with --certificate-oidc-issuer, not both');
    const pem = await readInput(resolved(req.keyPath, req.cwd), 'the public key', 1024 * 1024);
    return { kind: 'key', publicKeyPem: pem.toString('utf8') };
  }
  if (req.identity === undefined || req.issuer === undefined)
    throw new DctError('SIGSTORE_POLICY_INVALID', 'give --key, or both --certificate-identity and --certificate-oidc-issuer');
  return { kind: 'identity', identity: { exact: req.identity }, issuer: { exact: req.issuer } };
}

async function trustedRootFor(req: VerifyBundleRequest): Promise<unknown> {
  if (req.trustedRootPath !== undefined) return loadTrustedRoot(resolved(req.trustedRootPath, req.cwd));
  if (!req.staging) return loadTrustedRoot(undefined, req.cacheDir !== undefined ? { cacheDir: req.cacheDir } : {});
  const staged = join(req.cacheDir ?? sigstoreCacheDir(), 'staging', 'trusted_root.json');
  if (await isFile(staged)) return loadTrustedRoot(staged);
  throw new DctError(
    'SIGSTORE_TRUSTED_ROOT_INVALID',
    `--staging needs the staging trusted root: pass --trusted-root FILE (dct ships only the production root), or put it at ${staged}`,
  );
}

const shared = new SigstoreBundleVerifier();

/** Runs one `verify-bundle`: resolves everything the flags name, then verifies. Throws a DctError on refusal. */
export async function verifyBundleFiles(
  req: VerifyBundleRequest,
  verifier: SigstoreBundleVerifier = shared,
  opts: Omit<SigstoreVerifyOptions, 'trustedRoot'> = {},
): Promise<BundleVerification> {
  const bundle = await readBundleFile(resolved(req.bundlePath, req.cwd));
  const policy = await policyOf(req);
  const artifact = await artifactArgument(req.artifact, req.cwd);
  const trustedRoot = await trustedRootFor(req);
  try {
    return await verifier.verify(bundle, artifact, policy, { ...opts, trustedRoot });
  } catch (err) {
    if (isDctError(err)) throw err;
    throw new DctError('SIGSTORE_BUNDLE_MALFORMED', `the bundle could not be verified: ${(err as Error).message}`, { cause: err });
  }
}
