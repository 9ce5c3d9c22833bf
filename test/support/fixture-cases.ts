/**
 * Rebuilds the notary-0.7 fixture cases of shared/reference/lab/make-fixtures.sh
 * LIVE, with the real `notary` and `docker` CLIs, against any trust server
 * (the real notary-server of the reference stack, or `dct server`), so that
 * client-side outputs can be compared on repositories the real tools made.
 *
 * Differences from make-fixtures.sh, none of which changes what the
 * repositories hold:
 *  - GUNs get a random path segment (`<host>/fixtures-<hex>/<name>`), so runs
 *    and servers never collide (make-fixtures.sh deletes the fixed GUN first);
 *  - every case is built with its notary trust dir at `<dockerConfigDir>/trust`,
 *    which is where docker keeps its trust dir too: the same folder serves as
 *    `notary -d` and as `DOCKER_CONFIG` (make-fixtures.sh does this only for
 *    docker-signer-releases);
 *  - nothing is captured to files: callers query the server with the CLIs.
 *
 * Steps that need a docker engine (`docker trust sign`) are done as
 * make-fixtures.sh does them: the tiny image is pushed to the registry with
 * push-tiny-image.sh (curl only) and its manifest digest/size are signed into
 * the delegations docker would sign with `notary addhash` on docker's trust dir.
 */
import { createHash, randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommandError, REFERENCE_DIR, run } from './reference-stack.js';
import type { TrustServerUnderTest } from './trust-scenarios.js';

/** The fixture cases, in make-fixtures.sh order. */
export const FIXTURE_CASE_NAMES = [
  'targets-only',
  'server-snapshot',
  'docker-signer-releases',
  'root-rotation',
  'removed-target',
  'notary-delegations',
  'html-escaping',
  'local-signer-ed25519',
] as const;
export type FixtureCaseName = (typeof FIXTURE_CASE_NAMES)[number];

/**
 * The cases any trust server can take. `local-signer-ed25519` is left out, as
 * make-fixtures.sh leaves it out unless asked: it needs a notary-server whose
 * `trust_service` is `local` (built-in ED25519 signer), i.e. a reference stack
 * started with `trustService: 'local'`.
 */
export const DEFAULT_FIXTURE_CASES: readonly FixtureCaseName[] = FIXTURE_CASE_NAMES.filter((n) => n !== 'local-signer-ed25519');

/** Passphrases of make-fixtures.sh (throwaway keys). */
export const FIXTURE_PASSPHRASES = {
  NOTARY_ROOT_PASSPHRASE: 'fixture-root-pass',
  NOTARY_TARGETS_PASSPHRASE: 'fixture-targets-pass',
  NOTARY_SNAPSHOT_PASSPHRASE: 'fixture-snapshot-pass',
  NOTARY_DELEGATION_PASSPHRASE: 'fixture-delegation-pass',
  DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE: 'fixture-root-pass',
  DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE: 'fixture-repo-pass',
} as const;

export interface CliResult {
  /** exit code (0 on success) */
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command and resolves with its exit code and output whatever the exit
 * code (reference-stack's `run` underneath); rejects only when it could not be
 * started or timed out.
 */
export async function runCli(
  file: string,
  args: readonly string[],
  opts: { env: NodeJS.ProcessEnv; cwd?: string; input?: string; timeoutMs?: number },
): Promise<CliResult> {
  try {
    const r = await run(file, args, opts);
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    if (err instanceof CommandError && typeof err.exitCode === 'number')
      return { code: err.exitCode, stdout: err.stdout, stderr: err.stderr };
    throw err;
  }
}

/**
 * A normalised environment for the real CLIs (and dct): PATH, HOME and the
 * given variables only, so nothing of the caller's environment (a real
 * ~/.docker or ~/.notary, DOCKER_CONFIG, passphrases, proxies) leaks in.
 */
export function cliEnv(home: string, extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: home };
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) env[k] = v;
  return env;
}

/** `host:port` of a trust server URL (docker looks for its CA in `$DOCKER_CONFIG/tls/<host:port>/ca.crt`). */
export function serverHostPort(url: string): string {
  const u = new URL(url);
  return `${u.hostname}:${u.port || (u.protocol === 'https:' ? '443' : '80')}`;
}

/**
 * Makes `dir` a DOCKER_CONFIG holding only `tls/<host:port>/ca.crt` for the
 * server (as make-fixtures.sh's docker_inspect does); a new temp dir under
 * `parent` when `dir` is not given. Returns the directory.
 */
export function freshDockerConfig(server: TrustServerUnderTest, opts: { dir?: string; parent?: string } = {}): string {
  const dir = opts.dir ?? mkdtempSync(join(opts.parent ?? tmpdir(), 'docker-config-'));
  const tls = join(dir, 'tls', serverHostPort(server.url));
  mkdirSync(tls, { recursive: true });
  copyFileSync(server.caFile, join(tls, 'ca.crt'));
  return dir;
}

/** One command a case ran, as make-fixtures.sh's commands.txt records it. */
export interface CaseStep {
  command: string;
  code: number;
  stdout: string;
  stderr: string;
}

export interface FixtureCase {
  name: FixtureCaseName;
  gun: string;
  /** the trust server the case was built on */
  server: TrustServerUnderTest;
  /** DOCKER_CONFIG the case was built with: `tls/<host:port>/ca.crt` and `trust/` (= notaryTrustDir) */
  dockerConfigDir: string;
  /** `<dockerConfigDir>/trust`: the builder's notary trust dir (private keys + its TUF cache) */
  notaryTrustDir: string;
  /** target names the repository signs, in notary list order (for `GUN:TAG` inspects and `notary lookup`) */
  tags: string[];
  /** names that are not (or no longer) signed: lookups and inspects that must fail the same way */
  absentTags: string[];
  /** delegation roles that exist in the repository (for `notary list -r ROLE`) */
  delegations: string[];
  /** the commands run, with their exit codes and output */
  steps: CaseStep[];
  /** wall time of the build in ms */
  ms: number;
}

export interface BuildOptions {
  /** registry host:port the GUNs live under (default `127.0.0.1:15000`, as the fixtures) */
  registryHost?: string;
  /**
   * Registry base URL (e.g. `http://127.0.0.1:15000`) to push docker-signer-releases'
   * tiny image to, as make-fixtures.sh does; without it the signed digest/size are
   * those of the same manifest built locally but not pushed.
   */
  registryUrl?: string;
  /** path segment after the host, unique per run (default `fixtures-<random hex>`) */
  namespace?: string;
  /** per-command timeout (default 60 s) */
  timeoutMs?: number;
}

const GUN_NAMES: Record<FixtureCaseName, string> = {
  'targets-only': 'targets-only',
  'server-snapshot': 'server-snapshot',
  'docker-signer-releases': 'docker-releases',
  'root-rotation': 'root-rotation',
  'removed-target': 'removed-target',
  'notary-delegations': 'delegations',
  'html-escaping': 'html-escaping',
  'local-signer-ed25519': 'local-signer',
};

export class CaseBuildError extends Error {
  constructor(
    message: string,
    readonly steps: CaseStep[],
  ) {
    super(`${message}\n${formatSteps(steps)}`);
  }
}

/** Steps as a commands.txt-like transcript. */
export function formatSteps(steps: readonly CaseStep[]): string {
  return steps
    .map((s) => `$ ${s.command}\n${s.stdout}${s.stderr ? `[stderr] ${s.stderr}` : ''}${s.code !== 0 ? `[rc=${s.code}]\n` : ''}`)
    .join('');
}

interface Ctx {
  name: FixtureCaseName;
  server: TrustServerUnderTest;
  gun: string;
  dir: string;
  files: string;
  dockerConfig: string;
  trust: string;
  env: NodeJS.ProcessEnv;
  opts: BuildOptions;
  steps: CaseStep[];
}

/** Runs one step; a non-zero exit fails the build unless `expectFailure`. */
async function step(
  ctx: Ctx,
  file: string,
  args: readonly string[],
  o: { env?: Record<string, string>; input?: string; expectFailure?: boolean } = {},
): Promise<CliResult> {
  const r = await runCli(file, args, {
    env: { ...ctx.env, ...(o.env ?? {}) },
    cwd: ctx.dir,
    timeoutMs: ctx.opts.timeoutMs ?? 60_000,
    ...(o.input !== undefined ? { input: o.input } : {}),
  });
  const prefix = Object.entries(o.env ?? {})
    .map(([k, v]) => `${k}=${v} `)
    .join('');
  ctx.steps.push({ command: `${prefix}${[file, ...args].join(' ')}`, ...r });
  if (r.code !== 0 && !o.expectFailure) throw new CaseBuildError(`${ctx.name}: step failed: ${file} ${args.join(' ')}`, ctx.steps);
  if (r.code === 0 && o.expectFailure)
    throw new CaseBuildError(`${ctx.name}: step was expected to fail (as with notary 0.7): ${file} ${args.join(' ')}`, ctx.steps);
  return r;
}

const notary = (ctx: Ctx, args: readonly string[], o: Parameters<typeof step>[3] = {}) =>
  step(ctx, 'notary', ['-s', ctx.server.url, '--tlscacert', ctx.server.caFile, '-d', ctx.trust, ...args], o);

const docker = (ctx: Ctx, args: readonly string[], o: Parameters<typeof step>[3] = {}) => step(ctx, 'docker', args, o);

type Built = Pick<FixtureCase, 'tags' | 'absentTags' | 'delegations'>;

const BUILDERS: Record<FixtureCaseName, (ctx: Ctx) => Promise<Built>> = {
  // 1: notary CLI repo, client-managed snapshot, 2 targets (one with custom data)
  async 'targets-only'(ctx) {
    const g = ctx.gun;
    await notary(ctx, ['init', g]);
    await notary(ctx, ['add', g, 'v1', join(ctx.files, 'v1.txt')]);
    await notary(ctx, ['add', g, 'v2', join(ctx.files, 'v2.txt'), '--custom', join(ctx.files, 'custom.json')]);
    await notary(ctx, ['publish', g]);
    return { tags: ['v1', 'v2'], absentTags: ['v3'], delegations: [] };
  },

  // 2: server-managed snapshot (root v2)
  async 'server-snapshot'(ctx) {
    const g = ctx.gun;
    await notary(ctx, ['init', '-p', g]);
    await notary(ctx, ['key', 'rotate', g, 'snapshot', '-r']);
    await notary(ctx, ['add', g, 'v1', join(ctx.files, 'v1.txt')]);
    await notary(ctx, ['publish', g]);
    return { tags: ['v1'], absentTags: [], delegations: [] };
  },

  // 3: docker trust signer add (alice, bob) -> targets/releases + targets/<signer>; v1 signed into releases + alice
  async 'docker-signer-releases'(ctx) {
    const g = ctx.gun;
    const keys = join(ctx.dir, 'dkeys');
    mkdirSync(keys, { recursive: true });
    await docker(ctx, ['trust', 'key', 'generate', 'alice', '--dir', keys]);
    await docker(ctx, ['trust', 'key', 'generate', 'bob', '--dir', keys]);
    await docker(ctx, ['trust', 'signer', 'add', '--key', join(keys, 'alice.pub'), 'alice', g]);
    await docker(ctx, ['trust', 'signer', 'add', '--key', join(keys, 'bob.pub'), 'bob', g]);
    // docker trust sign needs the engine: sign as it does (tag -> manifest digest + size into every
    // top-level delegation we hold a key for: targets/releases + targets/alice) with the notary CLI
    const { digest, size } = await tinyImage(ctx);
    await notary(ctx, ['addhash', g, 'v1', String(size), '--sha256', digest, '-r', 'targets/releases', '-r', 'targets/alice', '-p'], {
      env: { NOTARY_DELEGATION_PASSPHRASE: FIXTURE_PASSPHRASES.DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE },
    });
    return { tags: ['v1'], absentTags: ['v2'], delegations: ['targets/alice', 'targets/bob', 'targets/releases'] };
  },

  // 4: root chain v1..v3: rotate root, then targets
  async 'root-rotation'(ctx) {
    const g = ctx.gun;
    await notary(ctx, ['init', g]);
    await notary(ctx, ['add', g, 'v1', join(ctx.files, 'v1.txt')]);
    await notary(ctx, ['publish', g]);
    await notary(ctx, ['key', 'rotate', g, 'root'], { input: 'yes\n' });
    await notary(ctx, ['key', 'rotate', g, 'targets']);
    await notary(ctx, ['add', g, 'v2', join(ctx.files, 'v2.txt')]);
    await notary(ctx, ['publish', g]);
    return { tags: ['v1', 'v2'], absentTags: [], delegations: [] };
  },

  // 5: add v1 v2 v3, publish, remove v2, publish
  async 'removed-target'(ctx) {
    const g = ctx.gun;
    await notary(ctx, ['init', g]);
    for (const v of ['v1', 'v2', 'v3']) await notary(ctx, ['add', g, v, join(ctx.files, `${v}.txt`)]);
    await notary(ctx, ['publish', g]);
    await notary(ctx, ['remove', g, 'v2']);
    await notary(ctx, ['publish', g]);
    return { tags: ['v1', 'v3'], absentTags: ['v2'], delegations: [] };
  },

  // 6: x509-cert delegations: ECDSA + RSA keys on targets/releases, path-restricted targets/alice, nested targets/releases/qa
  async 'notary-delegations'(ctx) {
    const g = ctx.gun;
    const k = join(ctx.dir, 'dlg');
    mkdirSync(k, { recursive: true });
    const cert = (name: string, cn: string, newkey: string[]) =>
      step(ctx, 'openssl', [
        'req',
        '-x509',
        ...newkey,
        '-nodes',
        '-keyout',
        join(k, `${name}.key`),
        '-out',
        join(k, `${name}.crt`),
        '-days',
        '3650',
        '-subj',
        `/CN=${cn}`,
      ]);
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'];
    await Promise.all([cert('alice', 'alice', ec), cert('rsa', 'rsa-signer', ['-newkey', 'rsa:2048']), cert('qa', 'qa', ec)]);
    await notary(ctx, ['init', g]);
    await notary(ctx, ['key', 'rotate', g, 'snapshot', '-r']);
    await notary(ctx, ['delegation', 'add', g, 'targets/releases', join(k, 'alice.crt'), join(k, 'rsa.crt'), '--all-paths']);
    await notary(ctx, ['delegation', 'add', g, 'targets/alice', join(k, 'alice.crt'), '--paths', 'alice/', '--paths', 'shared/']);
    await notary(ctx, ['publish', g]);
    await notary(ctx, ['delegation', 'add', g, 'targets/releases/qa', join(k, 'qa.crt'), '--paths', 'qa/']);
    await notary(ctx, ['key', 'import', join(k, 'alice.key'), '--role', 'targets/alice']);
    await notary(ctx, ['key', 'import', join(k, 'rsa.key'), '--role', 'targets/releases']);
    await notary(ctx, ['key', 'import', join(k, 'qa.key'), '--role', 'targets/releases/qa']);
    await notary(ctx, ['publish', g]);
    await notary(ctx, ['add', g, 'v1', join(ctx.files, 'v1.txt'), '-r', 'targets/releases']);
    await notary(ctx, ['add', g, 'alice/tool', join(ctx.files, 'v2.txt'), '-r', 'targets/alice']);
    await notary(ctx, ['add', g, 'qa/candidate', join(ctx.files, 'v3.txt'), '-r', 'targets/releases/qa']);
    await notary(ctx, ['add', g, 'top-level', join(ctx.files, 'v3.txt')]);
    await notary(ctx, ['publish', g]);
    return {
      tags: ['alice/tool', 'qa/candidate', 'top-level', 'v1'],
      absentTags: ['v2'],
      delegations: ['targets/alice', 'targets/releases', 'targets/releases/qa'],
    };
  },

  // 8: target name with < & > and non-ASCII (Go-style \u003c escaping in the signed canonical JSON)
  async 'html-escaping'(ctx) {
    const g = ctx.gun;
    writeFileSync(join(ctx.files, 'custom-html.json'), '{"html":"<b>&amp;</b>"}');
    await notary(ctx, ['init', '-p', g]);
    await notary(ctx, ['add', '-p', g, 'a<b&c>é', join(ctx.files, 'v1.txt')]);
    // notary 0.7 signs the custom bytes as given (\u003c-free) but the server verifies the
    // re-canonicalised tree: rejected (valid signatures did not meet threshold), as in the fixture
    await notary(ctx, ['add', '-p', g, 'with-html-custom', join(ctx.files, 'v2.txt'), '--custom', join(ctx.files, 'custom-html.json')], {
      expectFailure: true,
    });
    return { tags: ['a<b&c>é'], absentTags: ['with-html-custom'], delegations: [] };
  },

  // 7: server in trust_service local mode: ED25519 timestamp/snapshot keys held by the server
  async 'local-signer-ed25519'(ctx) {
    const g = ctx.gun;
    await notary(ctx, ['init', '-p', g]);
    await notary(ctx, ['key', 'rotate', g, 'snapshot', '-r']);
    await notary(ctx, ['add', g, 'v1', join(ctx.files, 'v1.txt'), '-p']);
    for (const role of ['timestamp', 'snapshot']) {
      const r = await step(ctx, 'curl', ['-sf', '--cacert', ctx.server.caFile, `${ctx.server.url}/v2/${g}/_trust/tuf/${role}.key`]);
      const keytype = (JSON.parse(r.stdout) as { keytype?: string }).keytype;
      if (keytype !== 'ed25519') {
        throw new CaseBuildError(
          `${ctx.name}: the server's ${role} key is ${keytype}, not ed25519: the server must run with trust_service local`,
          ctx.steps,
        );
      }
    }
    return { tags: ['v1'], absentTags: [], delegations: [] };
  },
};

/** Pushes (or, without a registry URL, only builds) the tiny image of push-tiny-image.sh; returns its manifest digest (hex) and size. */
async function tinyImage(ctx: Ctx): Promise<{ digest: string; size: number }> {
  const slash = ctx.gun.indexOf('/');
  const repoName = ctx.gun.slice(slash + 1);
  if (ctx.opts.registryUrl) {
    const r = await step(ctx, 'bash', [join(REFERENCE_DIR, 'lab', 'push-tiny-image.sh'), ctx.opts.registryUrl, repoName, 'v1']);
    const m = /^sha256:([0-9a-f]{64}) (\d+)\s*$/.exec(r.stdout);
    if (!m) throw new CaseBuildError(`${ctx.name}: unexpected push-tiny-image.sh output ${JSON.stringify(r.stdout)}`, ctx.steps);
    return { digest: m[1] as string, size: Number(m[2]) };
  }
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
      note: `not pushed: ${repoName}:v1`,
    }),
  );
  return { digest: createHash('sha256').update(manifest).digest('hex'), size: manifest.length };
}

/**
 * Builds one case in `<workDir>/<name>/` on `server`. Rejects with a
 * CaseBuildError (carrying the transcript) when a step does not end as it did
 * for make-fixtures.sh.
 */
export async function buildFixtureCase(
  name: FixtureCaseName,
  server: TrustServerUnderTest,
  workDir: string,
  opts: BuildOptions = {},
): Promise<FixtureCase> {
  const started = Date.now();
  const namespace = opts.namespace ?? `fixtures-${randomBytes(4).toString('hex')}`;
  const gun = `${opts.registryHost ?? '127.0.0.1:15000'}/${namespace}/${GUN_NAMES[name]}`;
  const dir = join(workDir, name);
  const files = join(dir, 'files');
  mkdirSync(files, { recursive: true });
  writeFileSync(join(files, 'v1.txt'), 'hello v1\n');
  writeFileSync(join(files, 'v2.txt'), 'hello v2\n');
  writeFileSync(join(files, 'v3.txt'), 'hello v3\n');
  // custom data must already be canonical (sorted keys, compact): notary 0.7 signs the raw bytes
  // but the server verifies the re-canonicalised tree
  writeFileSync(join(files, 'custom.json'), '{"n":1,"nested":{"a":[1,2],"b":true},"note":"custom data"}');
  const dockerConfig = freshDockerConfig(server, { dir: join(dir, 'docker-config') });
  const home = join(dir, 'home');
  mkdirSync(home, { recursive: true });
  const ctx: Ctx = {
    name,
    server,
    gun,
    dir,
    files,
    dockerConfig,
    trust: join(dockerConfig, 'trust'),
    env: cliEnv(home, { ...FIXTURE_PASSPHRASES, DOCKER_CONFIG: dockerConfig, DOCKER_CONTENT_TRUST_SERVER: server.url }),
    opts,
    steps: [],
  };
  const built = await BUILDERS[name](ctx);
  return {
    name,
    gun,
    server,
    dockerConfigDir: dockerConfig,
    notaryTrustDir: ctx.trust,
    ...built,
    steps: ctx.steps,
    ms: Date.now() - started,
  };
}

/**
 * Builds the given cases (default: all but local-signer-ed25519) one after
 * another under one random namespace. A case that fails to build is reported
 * in `errors` and does not stop the others.
 */
export async function buildFixtureCases(
  server: TrustServerUnderTest,
  workDir: string,
  opts: BuildOptions & { cases?: readonly FixtureCaseName[] } = {},
): Promise<{ cases: Map<FixtureCaseName, FixtureCase>; errors: Map<FixtureCaseName, Error>; ms: number }> {
  const started = Date.now();
  const namespace = opts.namespace ?? `fixtures-${randomBytes(4).toString('hex')}`;
  const cases = new Map<FixtureCaseName, FixtureCase>();
  const errors = new Map<FixtureCaseName, Error>();
  for (const name of opts.cases ?? DEFAULT_FIXTURE_CASES) {
    try {
      cases.set(name, await buildFixtureCase(name, server, workDir, { ...opts, namespace }));
    } catch (err) {
      errors.set(name, err as Error);
    }
  }
  return { cases, errors, ms: Date.now() - started };
}
