/**
 * `dct docker [--dry-run] ARGS…`: runs the real docker CLI with content trust
 * enforced by dct, as docker CLI 28 did with DOCKER_CONTENT_TRUST=1 (spec §7.10)
 * and docker 29 no longer does:
 *
 * - `pull` / `image pull`: a tag (default `latest`) is resolved through verified
 *   trust data, pulled by digest, then tagged (`Pull (1 of 1): …`, `Tagging … as …`);
 *   `--all-tags` pulls every released tag that way.
 * - `run` / `create` (also `container run|create`): the image becomes `name@sha256:…`.
 * - `build` (also `image build`, `builder build`, `buildx build`): every image the
 *   Dockerfile reads (`FROM`, `COPY --from=`, `RUN --mount=from=`) is pinned in a
 *   temporary copy passed with `--file` (docker-build.ts).
 * - `--trust-bundle FILE` (or DCT_TRUST_BUNDLE) before docker's arguments: DCT's trust
 *   data comes from that bundle (`dct trust export`), not a trust server.
 * - `--policy FILE` (or DCT_POLICY) before docker's arguments: the trust policy decides
 *   every image instead (a digest reference too) and docker gets the decided digest; a
 *   deny stops before docker runs (POLICY_DENIED). `--audit FILE|URL` (or DCT_AUDIT)
 *   records each decision (docker-pinning.ts, policy-enforcement.ts).
 * - `push` (also `image push`) with DOCKER_CONTENT_TRUST on: docker pushes, then dct
 *   signs the pushed tag as docker's trusted push did (docker-push.ts).
 * - A digest reference passes as docker lets it; `--disable-content-trust` turns
 *   the checks off for that command; every other docker command runs unchanged.
 *
 * The docker binary is `$DCT_DOCKER`, else `docker` on PATH; the child runs with
 * `DCT_DOCKER_WRAPPED=1` so that a `DCT_DOCKER` leading back to dct is refused.
 * `--dry-run` prints the command lines instead of running them. Exit code = docker's.
 */
import { spawn } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import { rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { parseImageReference, type ImageReference } from '../../../core/image-reference.js';
import { CliFailure, isCliFailure } from '../../cli-failure.js';
import { processIo, type TrustIo } from '../../docker-trust/io.js';
import { boolFlag, parseDockerArgs, shellLine, type FlagUse, type ParsedCommand } from './docker-args.js';
import { ResolutionFailure } from '../../../app/images/trust-resolver.js';
import { resolutionFailure, trustResolver } from '../../docker-trust/trust-resolution.js';
import { withTrustBundle } from '../../docker-trust/trust-data.js';
import { POLICY_DENIED, PolicyEnforcement, type EnforcementFlags } from '../../policy-enforcement.js';
import { planBuild } from './docker-build.js';
import type { DockerIo, DockerPlan } from './docker-plan.js';
import { planPush } from './docker-push.js';
import { dctPinner, policyPinner, trustedForm, type ImagePinner } from './docker-pinning.js';

/** Set in docker's environment by `dct docker`; a `dct docker` that sees it refuses to run. */
export const WRAPPED_ENV = 'DCT_DOCKER_WRAPPED';

export interface ExecOptions {
  env: Record<string, string | undefined>;
  cwd: string;
  /** false: the child gets no stdin (dct read it) */
  stdin: boolean;
}

/** Runs a program with the terminal's streams; resolves with its exit code. */
export type Exec = (bin: string, args: readonly string[], opts: ExecOptions) => Promise<number>;

export const spawnExec: Exec = (bin, args, opts) =>
  new Promise((resolvePromise) => {
    const child = spawn(bin, args, {
      cwd: opts.cwd,
      env: opts.env,
      stdio: [opts.stdin ? 'inherit' : 'ignore', 'inherit', 'inherit'],
    });
    // the terminal's ^C reaches docker too: let docker decide; signals sent to dct alone are passed on
    const ignore = () => undefined;
    const forward = (sig: NodeJS.Signals) => () => void child.kill(sig);
    const onTerm = forward('SIGTERM');
    const onHup = forward('SIGHUP');
    process.on('SIGINT', ignore);
    process.on('SIGTERM', onTerm);
    process.on('SIGHUP', onHup);
    const done = (code: number) => {
      process.off('SIGINT', ignore);
      process.off('SIGTERM', onTerm);
      process.off('SIGHUP', onHup);
      resolvePromise(code);
    };
    child.on('error', (err) => {
      process.stderr.write(
        `dct docker: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? `${bin}: executable file not found in $PATH` : err.message}\n`,
      );
      done(127);
    });
    child.on('exit', (code, signal) => done(code ?? 128 + (signal ? (osConstants.signals[signal] ?? 0) : 0)));
  });

const DIGEST_ID = /^(sha256:)?[a-f0-9]{64}$/;

function withImage(argv: readonly string[], index: number, image: string): string[] {
  const out = [...argv];
  out[index] = image;
  return out;
}

/** Removes every use of a bool flag (e.g. `-a`, `--all-tags`, `-qa`) from argv. */
function withoutFlag(argv: readonly string[], uses: readonly FlagUse[], name: string, short: string): string[] {
  const drop = new Set<number>();
  const edit = new Map<number, string>();
  for (const u of uses) {
    if (u.name !== name) continue;
    const a = argv[u.from]!;
    if (a.startsWith('--') || a === `-${short}` || a.includes('=')) drop.add(u.from);
    else {
      const rest = a
        .slice(1)
        .split('')
        .filter((c) => c !== short)
        .join('');
      if (rest === '') drop.add(u.from);
      else edit.set(u.from, `-${rest}`);
    }
  }
  return argv.flatMap((a, i) => (drop.has(i) ? [] : [edit.get(i) ?? a]));
}

async function planPull(argv: readonly string[], p: ParsedCommand, pinner: ImagePinner, io: TrustIo): Promise<DockerPlan> {
  const pass: DockerPlan = { commands: [[...argv]], before: [{}], notes: [], stdin: true };
  const at = p.positionals[0];
  if (at === undefined) return pass;
  let ref: ImageReference;
  try {
    ref = parseImageReference(argv[at]!);
  } catch (err) {
    throw new CliFailure((err as Error).message, { exitCode: 1 });
  }
  const all = boolFlag(p.flags, 'all-tags');
  if (ref.digest !== undefined) {
    await pinner.pin(ref, argv[at]!); // docker lets a pull by digest through (the policy decides it)
    return pass;
  }
  if (all && ref.tag !== undefined) throw new CliFailure("tag can't be used with --all-tags/-a", { exitCode: 1 });
  const quiet = boolFlag(p.flags, 'quiet');
  const global = argv.slice(0, p.commandAt);
  const plan: DockerPlan = { commands: [], before: [], notes: [], stdin: true };
  let targets: Array<{ tag: string; digest: string }>;
  if (all) {
    targets = await pinner.released(ref);
  } else {
    // docker says so before it looks at trust data
    if (ref.tag === undefined && !quiet) io.out('Using default tag: latest\n');
    const r = await pinner.pin(ref, argv[at]!);
    if (!r) return pass;
    targets = [{ tag: r.tag ?? 'latest', digest: r.digest }];
  }
  targets.forEach((t, i) => {
    const trusted = trustedForm(ref, t.digest);
    const tagged = `${ref.familiarName}:${t.tag}`;
    plan.before.push({ out: `Pull (${i + 1} of ${targets.length}): ${tagged}@${t.digest}\n` });
    const pull = withImage(argv, at, trusted);
    plan.commands.push(all ? withoutFlag(pull, p.flags, 'all-tags', 'a') : pull);
    plan.before.push({ err: `Tagging ${trusted} as ${tagged}\n` });
    plan.commands.push([...global, 'tag', trusted, tagged]);
  });
  return plan;
}

async function planContainer(
  argv: readonly string[],
  p: ParsedCommand,
  pinner: ImagePinner,
  command: 'run' | 'create',
): Promise<DockerPlan> {
  const pass: DockerPlan = { commands: [[...argv]], before: [{}], notes: [], stdin: true };
  const at = p.positionals[0];
  if (at === undefined || DIGEST_ID.test(argv[at]!)) return pass; // no image, or an image ID
  const fail = (message: string) =>
    new CliFailure(`docker: ${message}\n\nRun 'docker ${command} --help' for more information`, { exitCode: 125 });
  let ref: ImageReference;
  try {
    ref = parseImageReference(argv[at]!);
  } catch (err) {
    throw fail((err as Error).message);
  }
  try {
    const r = await pinner.pin(ref, argv[at]!);
    if (!r || ref.digest !== undefined) return pass;
    return { commands: [withImage(argv, at, trustedForm(ref, r.digest))], before: [{}], notes: [], stdin: true };
  } catch (err) {
    const f = resolutionFailure(err);
    throw fail(f.code === POLICY_DENIED ? `${f.message} [${f.code}]` : f.message);
  }
}

export interface DockerRunOptions {
  exec?: Exec;
  /** realpath of the running dct entry point (to refuse DCT_DOCKER pointing back at it) */
  self?: string;
}

/** dct's own options before docker's arguments: `--dry-run`, `--policy FILE`, `--audit FILE|URL`, `--trust-bundle FILE`, `--` ends them. */
function dctOptions(argv: string[]): { dryRun: boolean; flags: EnforcementFlags; trustBundle?: string } {
  let dryRun = false;
  let trustBundle: string | undefined;
  const flags: EnforcementFlags = {};
  for (;;) {
    const a = argv[0];
    const m = a === undefined ? null : /^--(policy|audit|trust-bundle)(?:=(.*))?$/.exec(a);
    if (a === '--dry-run') {
      argv.shift();
      dryRun = true;
    } else if (m) {
      argv.shift();
      const value = m[2] ?? argv.shift();
      if (value === undefined) throw CliFailure.usage(`dct docker: --${m[1]} needs a value`, 125);
      if (m[1] === 'trust-bundle') trustBundle = value;
      else flags[m[1] as 'policy' | 'audit'] = value;
    } else {
      if (a === '--') argv.shift();
      return { dryRun, flags, ...(trustBundle !== undefined ? { trustBundle } : {}) };
    }
  }
}

/** `dct docker [--dry-run] [--policy FILE] [--audit FILE|URL] [--trust-bundle FILE] ARGS…`; returns the exit code. */
export async function runDocker(argvIn: readonly string[], io: DockerIo, options: DockerRunOptions = {}): Promise<number> {
  const argv = [...argvIn];
  let dryRun: boolean;
  let flags: EnforcementFlags;
  let trustBundle: string | undefined;
  try {
    ({ dryRun, flags, trustBundle } = dctOptions(argv));
  } catch (err) {
    if (!isCliFailure(err, 'usage')) throw err;
    io.err(`${err.message}\n`);
    return 125;
  }
  if (io.env[WRAPPED_ENV]) {
    io.err(`dct docker: refusing to run inside dct docker (${WRAPPED_ENV} is set): DCT_DOCKER must name the docker CLI, not dct\n`);
    return 125;
  }
  const bin = io.env['DCT_DOCKER'] || 'docker';
  if (options.self && bin !== 'docker') {
    const { realpath } = await import('node:fs/promises');
    const target = await realpath(resolve(io.cwd, bin)).catch(() => undefined);
    if (target === options.self) {
      io.err(`dct docker: refusing to run: DCT_DOCKER (${bin}) is dct itself; it must name the docker CLI\n`);
      return 125;
    }
  }
  let p: ParsedCommand;
  try {
    p = parseDockerArgs(argv);
  } catch (err) {
    if (!isCliFailure(err, 'usage')) throw err;
    io.err(`dct docker: ${err.message}\n`);
    return 125;
  }
  const configured: DockerIo = p.configDir !== undefined ? { ...io, env: { ...io.env, DOCKER_CONFIG: resolve(io.cwd, p.configDir) } } : io;
  const trustIo = withTrustBundle(configured, trustBundle);
  const resolver = trustResolver(trustIo);
  let enforcement: PolicyEnforcement | undefined;
  let plan: DockerPlan;
  try {
    // the policy, when given, decides every image: --disable-content-trust turns off DCT's checks, not the policy
    const decided = p.command !== undefined && p.command !== 'push';
    enforcement = decided ? await PolicyEnforcement.open(trustIo, 'docker', flags, { command: `dct docker ${p.command}` }) : undefined;
    const pinner = enforcement ? policyPinner(enforcement, resolver, p.command as string) : dctPinner(resolver);
    if (p.command === 'push') plan = planPush(argv, p, trustIo);
    else if (!p.command || (!enforcement && boolFlag(p.flags, 'disable-content-trust')))
      plan = { commands: [argv], before: [{}], notes: [], stdin: true };
    else if (p.command === 'pull') plan = await planPull(argv, p, pinner, io);
    else if (p.command === 'build') plan = await planBuild(argv, p, pinner, io, dryRun);
    else plan = await planContainer(argv, p, pinner, p.command);
  } catch (err) {
    if (!(err instanceof CliFailure) && !(err instanceof ResolutionFailure)) throw err;
    const failure = resolutionFailure(err);
    io.err(`${failure.message}${failure.code === POLICY_DENIED ? ` [${failure.code}]` : ''}\n`);
    if (io.hints && failure.hint) io.err(`hint: ${failure.hint}\n`);
    return failure.exitCode;
  } finally {
    resolver.close();
    await enforcement?.close();
  }
  for (const n of plan.notes) io.err(n);
  const env = { ...io.env, [WRAPPED_ENV]: '1' };
  const exec = options.exec ?? spawnExec;
  try {
    for (const [i, command] of plan.commands.entries()) {
      const before = plan.before[i];
      if (before?.out) io.out(before.out);
      if (before?.err) io.err(before.err);
      if (dryRun) {
        io.out(`${shellLine([bin, ...command])}\n`);
        continue;
      }
      const code = await exec(bin, command, { env, cwd: io.cwd, stdin: plan.stdin });
      if (code !== 0) return code;
    }
    if (plan.after) {
      if (dryRun) io.out(`${plan.after.line}\n`);
      else return await plan.after.run();
    }
    return 0;
  } finally {
    if (plan.cleanup) await rm(plan.cleanup, { recursive: true, force: true });
  }
}

export function processDockerIo(): DockerIo {
  return {
    ...processIo(),
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const c of process.stdin) chunks.push(c as Buffer);
      return Buffer.concat(chunks);
    },
  };
}

export function registerDockerCommand(program: Command): void {
  // docker's arguments pass through untouched: commander needs positional options for that (dct's own go before `docker`)
  program.enablePositionalOptions();
  program
    .command('docker')
    .description(
      'run the docker CLI with the images of pull/run/create/build resolved to their signed digests first (--dry-run: print the command instead)',
    )
    .usage('[--dry-run] [--policy FILE] [--audit FILE|URL] ARGS...')
    .helpOption(false)
    .passThroughOptions()
    .allowUnknownOption(true)
    .allowExcessArguments(true)
    .argument('[args...]')
    .action(async (args: string[]) => {
      const { realpath } = await import('node:fs/promises');
      const self = process.argv[1] ? await realpath(process.argv[1]).catch(() => undefined) : undefined;
      const code = await runDocker(args, processDockerIo(), self ? { self } : {});
      if (code !== 0) throw CliFailure.reported(code);
    });
}
