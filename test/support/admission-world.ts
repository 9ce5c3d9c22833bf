/**
 * For the admission end-to-end tests and the admission bench: a signing world — dct server
 * (its trust server and embedded registry, TLS), optionally the real docker-registry, one home
 * folder whose environment every dct command and the webhook's policy engine read (docker
 * config, trust server, passphrases, notation's configuration), and the keys: cosign `release`
 * and `stranger` pairs, Notation test certificates `release.example` (default) and
 * `other.example`, and the trust stores `ca:e2e` and `ca:expired` holding the notation CLI's
 * e2e certificates. Images are pushed as bytes and signed by dct's own commands, as a user would.
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RegistryClient } from '../../src/adapters/registry/registry-client.js';
import { RegistrySignatureStore } from '../../src/adapters/registry/signature-registry-client.js';
import type { Io } from '../../src/cli/cobra/command.js';
import { runCosign } from '../../src/cli/commands/cosign/index.js';
import { runNotation } from '../../src/cli/commands/notation/index.js';
import { runTrust } from '../../src/cli/commands/trust/index.js';
import type { TrustIo } from '../../src/cli/docker-trust/io.js';
import type { ServerConfig } from '../../src/server/config.js';
import { buildImage, sha256, startTestServer, type BuiltImage, type TestServer } from '../server/registry/support.js';
import { NOTATION_CLI } from './admission-layouts.js';
import { startPlainRegistry, type PlainRegistry } from './plain-registry.js';

export interface Run {
  code: number;
  out: string;
  err: string;
}

export interface PushedImage {
  /** `host/repo:tag` */
  image: string;
  /** `host/repo` */
  name: string;
  digest: string;
  size: number;
}

export interface SigningWorld {
  server: TestServer;
  /** the real docker-registry (when asked for) */
  plain?: PlainRegistry;
  home: string;
  env: Record<string, string>;
  /** a TrustIo over `env`, its clock `now` (default: the real one) */
  io(now?: () => Date): Io & TrustIo;
  trust(args: string[]): Promise<Run>;
  cosign(args: string[]): Promise<Run>;
  notation(args: string[]): Promise<Run>;
  /** a registry client that trusts nothing but loopback (TLS unverified, or plain HTTP) */
  store(host: string): RegistrySignatureStore;
  /** pushes a small image of its own (`seed`) as `host/repo:tag` */
  push(host: string, repo: string, tag: string, seed?: string): Promise<PushedImage>;
  stop(): Promise<void>;
}

/** Throws with the command's output when it did not succeed. */
export function ok(r: Run, what: string): Run {
  if (r.code !== 0) throw new Error(`${what} failed (${r.code}): ${r.out}${r.err}`);
  return r;
}

function trustStore(home: string, name: string, certFile: string): void {
  const dir = join(home, 'notation', 'truststore', 'x509', 'ca', name);
  mkdirSync(dir, { recursive: true });
  copyFileSync(certFile, join(dir, `${name}.crt`));
}

export async function startSigningWorld(
  opts: { plainRegistry?: boolean; serverFlags?: Partial<ServerConfig> } = {},
): Promise<SigningWorld> {
  const server = await startTestServer({ tls: true, ...(opts.serverFlags ? { flags: opts.serverFlags } : {}) });
  let plain: PlainRegistry | undefined;
  try {
    if (opts.plainRegistry) plain = await startPlainRegistry();
  } catch (err) {
    await server.close();
    throw err;
  }
  const home = join(server.dir, 'home');
  mkdirSync(join(home, 'docker'), { recursive: true });
  const env: Record<string, string> = {
    HOME: home,
    DOCKER_CONFIG: join(home, 'docker'),
    DOCKER_CONTENT_TRUST_SERVER: server.url,
    DCT_CONFIG: join(home, 'dct.json'),
    DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE: 'admission-root-pass',
    DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE: 'admission-repo-pass',
    COSIGN_PASSWORD: 'admission-cosign-pass',
    NOTATION_CONFIG: join(home, 'notation'),
    PATH: process.env['PATH'] ?? '',
  };
  const io = (now: () => Date = () => new Date()): Io & TrustIo => ({
    out: () => undefined,
    err: () => undefined,
    readLine: async () => undefined,
    env,
    cwd: home,
    now,
    hints: false,
  });
  const capture = async (f: (io: Io & TrustIo) => Promise<number>): Promise<Run> => {
    let out = '';
    let err = '';
    const base = io();
    const code = await f({ ...base, out: (t: string) => void (out += t), err: (t: string) => void (err += t) });
    return { code, out, err };
  };
  const world: SigningWorld = {
    server,
    ...(plain ? { plain } : {}),
    home,
    env,
    io,
    trust: (args) => capture((i) => runTrust(args, i)),
    cosign: (args) => capture((i) => runCosign(args, { io: i, env, stdin: process.stdin })),
    notation: (args) => capture((i) => runNotation(args, { io: i, env })),
    store: (host) => new RegistrySignatureStore(new RegistryClient(host, { insecureRegistries: [host] })),
    async push(host, repo, tag, seed = `${host}/${repo}:${tag}`) {
      const built: BuiltImage = buildImage(seed, { layers: 1 });
      const store = world.store(host);
      await store.writeBlob(
        repo,
        { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(built.config), size: built.config.length },
        built.config,
      );
      for (const l of built.layers)
        await store.writeBlob(repo, { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(l), size: l.length }, l);
      await store.putManifest(repo, tag, built.manifest, 'application/vnd.oci.image.manifest.v1+json');
      return { image: `${host}/${repo}:${tag}`, name: `${host}/${repo}`, digest: built.digest, size: built.size };
    },
    async stop() {
      await plain?.stop();
      await server.close();
    },
  };
  try {
    ok(await world.cosign(['generate-key-pair', '--output-key-prefix', join(home, 'release')]), 'cosign generate-key-pair');
    ok(await world.cosign(['generate-key-pair', '--output-key-prefix', join(home, 'stranger')]), 'cosign generate-key-pair');
    ok(await world.notation(['cert', 'generate-test', '--default', 'release.example']), 'notation cert generate-test');
    ok(await world.notation(['cert', 'generate-test', 'other.example']), 'notation cert generate-test');
    trustStore(home, 'e2e', join(NOTATION_CLI, 'localkeys/e2e.crt'));
    trustStore(home, 'expired', join(NOTATION_CLI, 'localkeys/expired_e2e.crt'));
    writeFileSync(join(home, 'notation', 'trustpolicy.json'), JSON.stringify({ version: '1.0', trustPolicies: [] }));
  } catch (err) {
    await world.stop();
    throw err;
  }
  return world;
}

/** `dct trust sign` of a pushed image (DCT/TUF on dct server's trust server, whatever registry holds it). */
export async function trustSign(world: SigningWorld, image: PushedImage): Promise<void> {
  ok(await world.trust(['sign', image.image, '--digest', image.digest, '--size', String(image.size)]), `dct trust sign ${image.image}`);
}

/** `dct cosign sign --key <home>/<key>.key` of the image's digest (tlog off), in the referrers layout or the legacy tag one. */
export async function cosignSign(world: SigningWorld, image: PushedImage, key = 'release', legacy = false): Promise<void> {
  const args = ['sign', '--key', join(world.home, `${key}.key`), '--tlog-upload=false', '--yes'];
  if (legacy) args.push('--new-bundle-format=false');
  ok(await world.cosign([...args, `${image.name}@${image.digest}`]), `dct cosign sign ${image.image}`);
}

/** `dct notation sign` of the image's digest with a key of the configuration (default: release.example). */
export async function notationSign(world: SigningWorld, image: PushedImage, key?: string): Promise<void> {
  const args = ['sign', ...(key ? ['--key', key] : []), `${image.name}@${image.digest}`];
  ok(await world.notation(args), `dct notation sign ${image.image}`);
}
