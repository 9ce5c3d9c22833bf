/**
 * The world of the in-process image command tests
 * (test/cli/images/images-cli-*.test.ts): an in-process `dct server` (TLS on
 * loopback) with tags of APP and BASE signed by `signer` through `dct trust
 * sign --digest … --size …`, users with their own DOCKER_CONFIG and working
 * folder running `dct trust`, `dct pin`, `dct docker` and the docker-trust
 * plugin in process, and notary's "does not exist" text.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { promisify } from 'node:util';
import { pino } from 'pino';
import type { DockerIo } from '../../../src/cli/commands/images/docker-plan.js';
import { runDocker } from '../../../src/cli/commands/images/docker.js';
import { runPin } from '../../../src/cli/commands/images/pin.js';
import { runPlugin } from '../../../src/cli/commands/plugin.js';
import { runTrust } from '../../../src/cli/commands/trust/index.js';
import { loadConfig } from '../../../src/server/config.js';
import { startServer, type RunningServer } from '../../../src/server/start-server.js';

export const PASS = { DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE: 'img-root-pass', DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE: 'img-repo-pass' };
export const D1 = '1a'.repeat(32);
export const D2 = '2b'.repeat(32);
export const D3 = '3c'.repeat(32);
export const D9 = '9f'.repeat(32);
export const APP = '127.0.0.1:5000/img/app';
export const BASE = '127.0.0.1:5000/img/base';
export const MISSING = '127.0.0.1:5000/img/missing';

export interface Run {
  code: number;
  out: string;
  err: string;
}

export const execFileP = promisify(execFile);

// ---------------------------------------------------------------------------
// the server each file's suite runs against (set in its `before`)

let work: string;
export let server: RunningServer;
export let host: string;
let n = 0;

/** A user: own DOCKER_CONFIG and working folder. */
export function user(extraEnv: Record<string, string> = {}) {
  const home = join(work, `user-${++n}`);
  mkdirSync(join(home, 'docker'), { recursive: true });
  const env: Record<string, string> = {
    DOCKER_CONFIG: join(home, 'docker'),
    DOCKER_CONTENT_TRUST_SERVER: server.url,
    DCT_CONFIG: join(home, 'dct.json'),
    HOME: home,
    ...PASS,
    ...extraEnv,
  };
  const io = (out: (t: string) => void, err: (t: string) => void, stdin: Buffer = Buffer.alloc(0)): DockerIo => ({
    out,
    err,
    readLine: async () => undefined,
    readStdin: async () => stdin,
    env,
    cwd: home,
    now: () => new Date(),
    hints: false,
  });
  const capture = async (f: (io: DockerIo) => Promise<number>, stdin?: Buffer): Promise<Run> => {
    let out = '';
    let err = '';
    const code = await f(
      io(
        (t) => void (out += t),
        (t) => void (err += t),
        stdin,
      ),
    );
    return { code, out, err };
  };
  return {
    home,
    env,
    trust: (args: string[]) => capture((i) => runTrust(args, i)),
    pin: (files: string[], o: { check?: boolean; update?: boolean; format?: 'text' | 'json' } = {}) =>
      capture((i) => runPin(files, { check: o.check ?? false, update: o.update ?? false, format: o.format ?? 'text' }, i)),
    docker: (args: string[], stdin?: Buffer) => capture((i) => runDocker(args, i), stdin),
    plugin: (args: string[]) => capture((i) => runPlugin(args, i, '9.8.7', runTrust)),
  };
}
export let signer: ReturnType<typeof user>;

/** Called in a suite: a `dct server` with APP and BASE tags signed by `signer` before it; stopped and removed after it. */
export function useImagesServer(): void {
  work = mkdtempSync(join(tmpdir(), 'dct-images-cli-'));

  before(async () => {
    const config = loadConfig({
      env: {},
      flags: { listen: '127.0.0.1:0', storage: 'sqlite::memory:', dataDir: join(work, 'data'), logLevel: 'warn' },
    });
    server = await startServer(config, { DCT_SERVER_KEY_PASSPHRASE: 'k' }, pino({ level: 'warn' }));
    host = new URL(server.url).host;
    signer = user();
    for (const [ref, digest, size] of [
      [`${APP}:1.0`, D1, '1000'],
      [`${APP}:latest`, D2, '2000'],
      [`${APP}:stable`, D1, '1000'],
      [`${BASE}:3.19`, D3, '3000'],
    ] as const) {
      const r = await signer.trust(['sign', ref, '--digest', `sha256:${digest}`, '--size', size]);
      assert.equal(r.code, 0, r.err);
    }
  });
  after(async () => {
    await server?.close();
    rmSync(work, { recursive: true, force: true });
  });
}

export const notExist = (gun: string) => `Error: remote trust data does not exist for ${gun}: ${host} does not have trust data for ${gun}`;
