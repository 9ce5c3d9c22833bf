/**
 * `dct docker push` with DOCKER_CONTENT_TRUST=1, as docker CLI 28's trusted push: docker
 * pushes (here an exec that pushes the image to dct server's embedded registry, as the engine
 * would), then dct signs the tag the registry now holds; `dct docker pull` then resolves the
 * tag through the trust data to that digest. Without DOCKER_CONTENT_TRUST, with
 * `--disable-content-trust`, or without a tag nothing is signed.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { DockerIo } from '../../../src/cli/commands/images/docker-plan.js';
import { runDocker, type Exec } from '../../../src/cli/commands/images/docker.js';
import { buildImage, pushImage, Raw, startTestServer, type TestServer } from '../../server/registry/support.js';

interface Run {
  code: number;
  out: string;
  err: string;
}

describe('dct docker push: signs the pushed tag as docker content trust did', () => {
  let server: TestServer;
  let env: Record<string, string>;
  let home: string;
  const image = buildImage('docker-push');
  const pushed: string[][] = [];
  /** docker: `push NAME:TAG` puts the image into the registry under that tag */
  const exec: Exec = async (_bin, args) => {
    pushed.push([...args]);
    const ref = args[args.length - 1]!;
    const [name, tag] = [ref.slice(0, ref.lastIndexOf(':')), ref.slice(ref.lastIndexOf(':') + 1)];
    await pushImage(new Raw(server.url, server.ca), name.slice(server.host.length + 1), image, tag);
    return 0;
  };
  const docker = async (args: string[], extra: Record<string, string> = {}): Promise<Run> => {
    let out = '';
    let err = '';
    const io: DockerIo = {
      out: (t) => void (out += t),
      err: (t) => void (err += t),
      readLine: async () => undefined,
      readStdin: async () => Buffer.alloc(0),
      env: { ...env, ...extra },
      cwd: home,
      now: () => new Date(),
      hints: false,
    };
    return { code: await runDocker(args, io, { exec }), out, err };
  };

  before(async () => {
    server = await startTestServer({ tls: true });
    home = join(server.dir, 'home');
    mkdirSync(join(home, 'docker'), { recursive: true });
    env = {
      HOME: home,
      DOCKER_CONFIG: join(home, 'docker'),
      DOCKER_CONTENT_TRUST_SERVER: server.url,
      DCT_CONFIG: join(home, 'dct.json'),
      DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE: 'push-root-pass',
      DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE: 'push-repo-pass',
    };
  });
  after(async () => server?.close());

  it('DOCKER_CONTENT_TRUST=1: docker pushes, the tag is signed; a trusted pull then resolves it to the pushed digest', async () => {
    const ref = `${server.host}/team/app:v1`;
    const r = await docker(['push', ref], { DOCKER_CONTENT_TRUST: '1' });
    assert.equal(r.code, 0, r.out + r.err);
    assert.deepEqual(pushed.at(-1), ['push', ref]);
    assert.match(r.out, /^Signing and pushing trust metadata$/m);
    assert.match(r.out, /Successfully signed .*team\/app:v1/);
    const pull = await docker(['--dry-run', 'pull', ref]);
    assert.equal(pull.code, 0, pull.err);
    assert.match(pull.out, new RegExp(`^Pull \\(1 of 1\\): ${ref}@${image.digest}$`, 'm'));
  });

  it('no DOCKER_CONTENT_TRUST, --disable-content-trust, no tag: pushed, not signed', async () => {
    const ref = `${server.host}/team/unsigned:v1`;
    for (const [args, extra] of [
      [['push', ref], {}],
      [['push', '--disable-content-trust', ref], { DOCKER_CONTENT_TRUST: 'true' }],
      [['push', ref], { DOCKER_CONTENT_TRUST: '0' }],
    ] as const) {
      const r = await docker([...args], extra);
      assert.equal(r.code, 0, r.err);
      assert.doesNotMatch(r.out, /Signing/);
    }
    const pull = await docker(['--dry-run', 'pull', ref]);
    assert.equal(pull.code, 1);
    assert.match(pull.err, /does not have trust data/);
    const dry = await docker(['--dry-run', 'image', 'push', `${server.host}/team/app:v2`], { DOCKER_CONTENT_TRUST: '1' });
    assert.deepEqual(dry, {
      code: 0,
      out: `docker image push ${server.host}/team/app:v2\ndct trust sign ${server.host}/team/app:v2  # docker push's trust metadata\n`,
      err: '',
    });
  });
});
