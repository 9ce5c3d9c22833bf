/**
 * A user as notary.docker.io leaves them, rebuilt on loopback with the real tools: an image in a
 * registry, signed with Docker Content Trust on a real notary-server, the keys and the trust
 * cache in the user's `~/.docker`. With the docker CLI, as Docker Hub users signed: `docker
 * trust key generate alice` and `docker trust signer add` (which initialises the repository with
 * the root and repository keys in `~/.docker/trust/private` and leaves timestamp and snapshot
 * to the server), then the tag signed into `targets/releases` and `targets/alice`, as `docker
 * trust sign` signs it, by the real `notary addhash` on the same trust dir (docker's sign needs
 * an engine to push the image). Without docker, the real notary alone: `init`, the snapshot key
 * handed to the server (`key rotate … snapshot -r`), the tag in `targets`.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { onPath, parseNotaryList, type NotaryListRow } from './reference-stack.js';
import { generateTestImage } from './test-images.js';

const execFileP = promisify(execFile);

export interface TrustSource {
  url: string;
  caFile: string;
}

/** The passphrases the user's keys are encrypted with, as docker and dct read them. */
export const USER_PASSPHRASES = {
  DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE: 'guide-root-pass',
  DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE: 'guide-repository-pass',
};

/** The same passphrases as the notary CLI reads them (a delegation key: alice's). */
export const NOTARY_PASSPHRASES = {
  NOTARY_ROOT_PASSPHRASE: USER_PASSPHRASES.DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE,
  NOTARY_TARGETS_PASSPHRASE: USER_PASSPHRASES.DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE,
  NOTARY_SNAPSHOT_PASSPHRASE: USER_PASSPHRASES.DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE,
  NOTARY_DELEGATION_PASSPHRASE: USER_PASSPHRASES.DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE,
};

export interface DockerHubUser {
  /** the user's HOME (its `.docker` holds keys, trust cache and the source's CA) */
  home: string;
  /** `<registry>/<repository>`, the GUN */
  image: string;
  tag: string;
  /** the signed manifest: `sha256:…` and size */
  digest: string;
  size: number;
  /** who made the repository: `docker trust` or `notary` */
  madeBy: 'docker trust' | 'notary';
  /** `notary list` of a new client of the source, by the real notary CLI */
  listed: NotaryListRow[];
  /** `docker trust inspect --pretty` by the real docker CLI ('' without docker) */
  dockerPretty: string;
}

/** `host:port` of an https URL */
function hostPort(url: string): string {
  const u = new URL(url);
  return `${u.hostname}:${u.port || '443'}`;
}

/** Gives `home`'s docker the CA of `server` (`~/.docker/tls/<host:port>/ca.crt`, where docker and dct look). */
export function trustCa(home: string, server: TrustSource): void {
  const dir = join(home, '.docker', 'tls', hostPort(server.url));
  mkdirSync(dir, { recursive: true });
  copyFileSync(server.caFile, join(dir, 'ca.crt'));
}

export async function makeDockerHubUser(opts: {
  dir: string;
  source: TrustSource;
  /** `127.0.0.1:<port>` of a plain-HTTP registry */
  registry: string;
  /** the folder holding `dct` (to push the image) */
  dctBin: string;
}): Promise<DockerHubUser> {
  const home = join(opts.dir, 'home');
  mkdirSync(home, { recursive: true });
  trustCa(home, opts.source);
  const image = `${opts.registry}/you/app`;
  const tag = 'v1';
  const env = { PATH: `${opts.dctBin}:${process.env['PATH'] ?? '/usr/bin:/bin'}`, HOME: home, ...USER_PASSPHRASES };
  const sh = async (file: string, args: string[], extra: Record<string, string> = {}) =>
    (await execFileP(file, args, { env: { ...env, ...extra }, cwd: home, timeout: 60_000 })).stdout;

  const built = await generateTestImage(join(opts.dir, 'layout'), { seed: 'leaving-notary', tag, layers: [16 * 1024] });
  await sh('dct', ['push', `${built.dir}:${tag}`, `${image}:${tag}`, '--disable-content-trust']);
  const { digest, size } = built.descriptor;

  const trustDir = join(home, '.docker', 'trust');
  const notary = (args: string[]) =>
    sh('notary', ['-s', opts.source.url, '--tlscacert', opts.source.caFile, '-d', trustDir, ...args], NOTARY_PASSPHRASES);
  const madeBy = onPath('docker') ? 'docker trust' : 'notary';
  let roles: string[] = [];
  if (madeBy === 'docker trust') {
    const docker = (args: string[]) => sh('docker', args, { DOCKER_CONTENT_TRUST_SERVER: opts.source.url });
    await docker(['trust', 'key', 'generate', 'alice', '--dir', home]);
    await docker(['trust', 'signer', 'add', '--key', join(home, 'alice.pub'), 'alice', image]);
    roles = ['-r', 'targets/releases', '-r', 'targets/alice'];
  } else {
    await notary(['init', image]);
    await notary(['key', 'rotate', image, 'snapshot', '-r']);
  }
  await notary(['addhash', image, tag, String(size), '--sha256', digest.replace(/^sha256:/, ''), ...roles]);
  await notary(['publish', image]);

  const reader = join(opts.dir, 'reader-trust');
  const listed = parseNotaryList(
    (await execFileP('notary', ['-s', opts.source.url, '--tlscacert', opts.source.caFile, '-d', reader, 'list', image])).stdout,
  );
  const dockerPretty =
    madeBy === 'docker trust'
      ? await sh('docker', ['trust', 'inspect', '--pretty', image], { DOCKER_CONTENT_TRUST_SERVER: opts.source.url })
      : '';
  return { home, image, tag, digest, size, madeBy, listed, dockerPretty };
}
