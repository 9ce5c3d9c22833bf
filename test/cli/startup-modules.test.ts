/**
 * What a short command line loads: `dct --version` and a command group's `--help` must not
 * load the heavy packages (the Sigstore libraries, pkijs, cborg, yaml, ajv, …) that only some
 * commands use, on some paths — every module loaded is start-up time paid by every run. The
 * built CLI (tests/support/dct-on-path.ts) runs with a module hook that records each file
 * loaded; no timing is asserted here (the benches measure that).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pathToFileURL } from 'node:url';
import { dctOnPath, type DctOnPath } from '../support/dct-on-path.js';
import { PROJECT_ROOT } from '../support/fixtures.js';

/** packages that only some commands need, on some paths */
const HEAVY = [
  '@sigstore/core',
  '@sigstore/bundle',
  '@sigstore/verify',
  '@sigstore/sign',
  '@sigstore/protobuf-specs',
  '@sigstore/tuf',
  'pkijs',
  'asn1js',
  'cborg',
  'yaml',
  'ajv',
  '@noble/ciphers',
  'pg',
  'pino',
];

// the hook: every module file loaded (ES modules through the loader, CommonJS through _compile)
const HOOK = `
import { register, createRequire } from 'node:module';
import { appendFileSync } from 'node:fs';
const out = process.env.DCT_TEST_MODULE_LOG;
const hooks = 'import { appendFileSync } from "node:fs";' +
  'export async function load(url, context, next) { appendFileSync(' + JSON.stringify(out) + ', url + "\\\\n"); return next(url, context); }';
register('data:text/javascript,' + encodeURIComponent(hooks));
const Module = createRequire(import.meta.url)('node:module');
const compile = Module.prototype._compile;
Module.prototype._compile = function (content, filename) {
  appendFileSync(out, filename + '\\n');
  return compile.call(this, content, filename);
};
`;

describe('dct start-up: the modules a short command line loads', () => {
  let dct: DctOnPath;
  let dir: string;
  before(async () => {
    dct = await dctOnPath();
    dir = mkdtempSync(join(tmpdir(), 'dct-startup-'));
    writeFileSync(join(dir, 'hook.mjs'), HOOK);
  });
  after(() => {
    dct?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Runs `dct ARGS…`; returns its exit code, stdout and the packages it loaded. */
  async function loaded(...args: string[]): Promise<{ code: number; stdout: string; packages: Set<string> }> {
    const log = join(dir, `modules-${args.join('_').replace(/\W/g, '')}.log`);
    writeFileSync(log, '');
    const env = { ...process.env, DCT_TEST_MODULE_LOG: log, NODE_OPTIONS: `--import=${pathToFileURL(join(dir, 'hook.mjs')).href}` };
    const { code, stdout } = await new Promise<{ code: number; stdout: string }>((resolve) => {
      execFile(join(dct.bin, 'dct'), args, { env, timeout: 60_000 }, (err, out) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout: out }),
      );
    });
    const files = readFileSync(log, 'utf8').split('\n').filter(Boolean);
    assert.ok(files.length > 0, 'the module hook recorded nothing');
    const packages = new Set<string>();
    for (const f of files) {
      const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(decodeURIComponent(f));
      if (m && m[1] !== 'tsx') packages.add(m[1]!);
    }
    return { code, stdout, packages };
  }

  const heavyIn = (packages: Set<string>) => HEAVY.filter((p) => packages.has(p));

  it('--version prints the version and loads no package at all (not even commander)', async () => {
    const { version } = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string };
    const got = await loaded('--version');
    assert.equal(got.code, 0);
    assert.equal(got.stdout, `${version}\n`);
    assert.deepEqual([...got.packages], []);
  });

  it('cosign --help loads none of the heavy packages', async () => {
    const got = await loaded('cosign', '--help');
    assert.equal(got.code, 0);
    assert.match(got.stdout, /^A tool for Container Signing/);
    assert.deepEqual(heavyIn(got.packages), []);
  });

  it('cosign verify --help, notation --help and trust --help load none of them either', async () => {
    for (const args of [
      ['cosign', 'verify', '--help'],
      ['notation', '--help'],
      ['trust', '--help'],
    ]) {
      const got = await loaded(...args);
      assert.equal(got.code, 0, args.join(' '));
      assert.deepEqual(heavyIn(got.packages), [], args.join(' '));
    }
  });

  it('verify --help loads commander, and no policy parser, Sigstore or notation library', async () => {
    const got = await loaded('verify', '--help');
    assert.equal(got.code, 0);
    assert.ok(got.packages.has('commander'), 'the hook sees packages');
    assert.deepEqual(heavyIn(got.packages), []);
  });
});
