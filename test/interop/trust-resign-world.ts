/**
 * The world of the `dct trust resign` interop test: one repository built by the REAL
 * `docker trust` and `notary` CLIs on the real notary-server, its images in a registry.
 *
 * Tags (each a small OCI image pushed to the registry, its manifest's digest and size signed):
 * - v1: `targets` (the Repo Admin), with `notary addhash`;
 * - v2: `targets/releases`, `targets/alice` and `targets/bob` (alice and bob added with
 *   `docker trust signer add`: two signers on targets/releases, each with a role of their own);
 * - v3: `targets/releases` and `targets/bob` (bob alone);
 * - v4: released by alice, then revoked with `docker trust revoke` (only the image remains);
 * - v5: only in `targets/carol`, a signer-only delegation (`notary delegation add`, carol's
 *   certificate from openssl): not released, docker would not pull it;
 * - v6: pushed, never signed;
 * - then the targets key and the root key are rotated (`notary key rotate GUN targets`, then
 *   `… root`: root v3), and v7 added to `targets` with the new targets key;
 * - v8: only in `targets/releases` (docker names its signer "Repo Admin");
 * - v9: signed into `targets`, but its image was never pushed (cannot be re-signed: fails).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { RegistryClient } from '../../src/adapters/registry/registry-client.js';
import { RegistrySignatureStore } from '../../src/adapters/registry/signature-registry-client.js';
import { pushImage, sha256 } from '../app/cosign/images/registries.js';
import { hostPort } from '../cli/trust-export-support.js';
import { selfSignedEcCertArgs } from '../support/openssl.js';
import { parseNotaryList, run, type NotaryListRow } from '../support/reference-stack.js';
import type { TrustServerUnderTest } from '../support/trust-scenarios.js';

/** one passphrase for every key the builders make (docker's and notary's variables) */
const PASS = 'resign-interop-pass';
export const BUILDER_PASSPHRASES = {
  DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE: PASS,
  DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE: PASS,
  NOTARY_ROOT_PASSPHRASE: PASS,
  NOTARY_TARGETS_PASSPHRASE: PASS,
  NOTARY_SNAPSHOT_PASSPHRASE: PASS,
  NOTARY_DELEGATION_PASSPHRASE: PASS,
};

export const IMAGE_TAGS = ['v1', 'v2', 'v3', 'v4', 'v5', 'v6', 'v7', 'v8'] as const;

/** The builder: the real docker CLI (DOCKER_CONFIG with the notary CA) and notary sharing its trust dir. */
export interface Builder {
  env: Record<string, string>;
  trustDir: string;
  keys: string;
  server: TrustServerUnderTest;
}

export function builder(server: TrustServerUnderTest, dir: string): Builder {
  const config = join(dir, 'docker-config');
  const tls = join(config, 'tls', hostPort(server.url));
  mkdirSync(tls, { recursive: true });
  writeFileSync(join(tls, 'ca.crt'), readFileSync(server.caFile));
  const keys = join(dir, 'keys');
  mkdirSync(keys, { recursive: true });
  const env = {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: dir,
    DOCKER_CONFIG: config,
    DOCKER_CONTENT_TRUST_SERVER: server.url,
    ...BUILDER_PASSPHRASES,
  };
  return { env, trustDir: join(config, 'trust'), keys, server };
}

export const docker = (b: Builder, args: readonly string[], input?: string) =>
  run('docker', args, { env: b.env, timeoutMs: 60_000, ...(input !== undefined ? { input } : {}) });

export const notary = (b: Builder, args: readonly string[], input?: string) =>
  run('notary', ['-s', b.server.url, '--tlscacert', b.server.caFile, '-d', b.trustDir, ...args], {
    env: b.env,
    timeoutMs: 60_000,
    ...(input !== undefined ? { input } : {}),
  });

/** The signers' keys: alice and bob by `docker trust key generate` (into the trust dir), carol's certificate by openssl. */
export async function makeSignerKeys(b: Builder): Promise<void> {
  await docker(b, ['trust', 'key', 'generate', 'alice', '--dir', b.keys]);
  await docker(b, ['trust', 'key', 'generate', 'bob', '--dir', b.keys]);
  await run('openssl', selfSignedEcCertArgs(join(b.keys, 'carol.key'), join(b.keys, 'carol.crt'), 'carol', 3650));
  await notary(b, ['key', 'import', join(b.keys, 'carol.key'), '--role', 'targets/carol']);
}

export interface PushedImage {
  digest: string;
  size: number;
  /** false for v9, signed but not in the registry */
  pushed: boolean;
}

/** Pushes v1..v8 (one small image each, different per registry) to `host`/`repo`; v9's digest is of no image there. */
export async function pushImages(host: string, repo: string): Promise<Map<string, PushedImage>> {
  const store = new RegistrySignatureStore(new RegistryClient(host, { insecureRegistries: [host] }));
  const out = new Map<string, PushedImage>();
  for (const tag of IMAGE_TAGS) {
    const d = await pushImage(store, repo, tag, `trust resign interop: ${host}/${repo}:${tag}`);
    out.set(tag, { digest: d.digest, size: d.size, pushed: true });
  }
  out.set('v9', { digest: sha256(Buffer.from(`never pushed: ${host}/${repo}:v9`)), size: 321, pushed: false });
  return out;
}

/** Builds `gun`'s trust data as the header says (the images already pushed). */
export async function buildTrustData(b: Builder, gun: string, images: ReadonlyMap<string, PushedImage>): Promise<void> {
  const addhash = async (tag: string, roles: readonly string[]) => {
    const image = images.get(tag) as PushedImage;
    const hex = image.digest.replace(/^sha256:/, '');
    await notary(b, ['addhash', gun, tag, String(image.size), '--sha256', hex, ...roles.flatMap((r) => ['-r', r]), '-p']);
  };
  await docker(b, ['trust', 'signer', 'add', '--key', join(b.keys, 'alice.pub'), 'alice', gun]); // inits the repository
  await docker(b, ['trust', 'signer', 'add', '--key', join(b.keys, 'bob.pub'), 'bob', gun]);
  await notary(b, ['delegation', 'add', gun, 'targets/carol', join(b.keys, 'carol.crt'), '--all-paths', '-p']);
  await addhash('v1', []);
  await addhash('v2', ['targets/releases', 'targets/alice', 'targets/bob']);
  await addhash('v3', ['targets/releases', 'targets/bob']);
  await addhash('v4', ['targets/releases', 'targets/alice']);
  await addhash('v5', ['targets/carol']);
  await docker(b, ['trust', 'revoke', '-y', `${gun}:v4`]);
  await notary(b, ['key', 'rotate', gun, 'targets']);
  await notary(b, ['key', 'rotate', gun, 'root'], 'yes\n');
  await addhash('v7', []);
  await addhash('v8', ['targets/releases']);
  await addhash('v9', []);
}

/** `notary list GUN` by the real CLI from a fresh trust dir. */
export async function notaryList(b: Builder, trustDir: string, gun: string): Promise<NotaryListRow[]> {
  const r = await run('notary', ['-s', b.server.url, '--tlscacert', b.server.caFile, '-d', trustDir, 'list', gun], { env: b.env });
  return parseNotaryList(r.stdout);
}

export interface DockerInspect {
  SignedTags: Array<{ SignedTag: string; Digest: string; Signers: string[] }>;
  Signers: Array<{ Name: string; Keys: Array<{ ID: string }> }>;
  AdministrativeKeys: Array<{ Name: string; Keys: Array<{ ID: string }> }>;
}

/** `docker trust inspect GUN` by the real docker CLI. */
export async function dockerInspect(b: Builder, gun: string): Promise<DockerInspect> {
  const { stdout } = await docker(b, ['trust', 'inspect', gun]);
  return (JSON.parse(stdout) as DockerInspect[])[0] as DockerInspect;
}

/** The version of `gun`'s top-level targets metadata as the trust server serves it. */
export function serverTargetsVersion(server: TrustServerUnderTest, gun: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const url = new URL(`/v2/${gun}/_trust/tuf/targets.json`, server.url);
    request(url, { ca: readFileSync(server.caFile) }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () =>
        res.statusCode === 200
          ? resolve((JSON.parse(body) as { signed: { version: number } }).signed.version)
          : reject(new Error(`targets.json: ${res.statusCode}`)),
      );
    })
      .on('error', reject)
      .end();
  });
}

/**
 * What the registry holds for `repo`, to see that a re-run pushes nothing: every tag with
 * the digest it points at, and the referrers of each image (the OCI 1.1 API, or the
 * `sha256-<hex>` tag index where the registry has none).
 */
export async function registrySnapshot(host: string, repo: string, images: ReadonlyMap<string, PushedImage>): Promise<string[]> {
  const client = new RegistryClient(host, { insecureRegistries: [host] });
  try {
    const out: string[] = [];
    for (const tag of await client.listTags(repo)) out.push(`tag ${tag} ${(await client.headManifest(repo, tag))?.digest ?? '?'}`);
    for (const [tag, image] of images) {
      if (!image.pushed) continue;
      const refs = await client.referrers(repo, image.digest);
      for (const m of refs.manifests) out.push(`referrer of ${tag}: ${m.digest}`);
    }
    return out.sort();
  } finally {
    client.close();
  }
}
