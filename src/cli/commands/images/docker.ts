/**
 * `dct docker [--dry-run] ARGS…`: runs the real docker CLI with content trust
 * enforced by dct, as docker CLI 28 did with DOCKER_CONTENT_TRUST=1 (spec §7.10)
 * and docker 29 no longer does:
 *
 * - `pull` / `image pull`: a tag (default `latest`) is resolved through verified
 *   trust data, pulled by digest, then tagged (`Pull (1 of 1): …`, `Tagging … as …`);
 *   `--all-tags` pulls every released tag that way.
 * - `run` / `create` (also `container run|create`): the image becomes `name@sha256:…`.
 * - `build` (also `image build`, `builder build`, `buildx build`): every `FROM`
 *   of the Dockerfile is pinned in a temporary copy passed with `--file`; the context
 *   is unchanged. Global ARGs and `--build-arg` values are expanded to resolve
 *   `FROM ${BASE}`.
 * - A digest reference passes as docker lets it; `--disable-content-trust` turns
 *   the checks off for that command; every other docker command runs unchanged.
 *
 * The docker binary is `$DCT_DOCKER`, else `docker` on PATH; the child runs with
 * `DCT_DOCKER_WRAPPED=1` so that a `DCT_DOCKER` leading back to dct is refused.
 * `--dry-run` prints the command lines instead of running them. Exit code = docker's.
 */
import { spawn } from 'node:child_process';
import { constants as osConstants, tmpdir } from 'node:os';
import { copyFile, lstat, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { applyReplacements, SKIP_TEXT, type Replacement } from '../../../app/images/pin-files.js';
import { expandArgs, parseDockerfile } from '../../../app/images/dockerfile-references.js';
import { parseImageReference, type ImageReference } from '../../../core/image-reference.js';
import { CliFailure, isCliFailure } from '../../cli-failure.js';
import { goFileError } from '../../docker-trust/go-text.js';
import { processIo, type TrustIo } from '../../docker-trust/io.js';
import { boolFlag, lastFlag, parseDockerArgs, shellLine, type FlagUse, type ParsedCommand } from './docker-args.js';
import { ResolutionFailure, type TrustResolver } from '../../../app/images/trust-resolver.js';
import { resolutionFailure, trustResolver } from '../../docker-trust/trust-resolution.js';

/** Set in docker's environment by `dct docker`; a `dct docker` that sees it refuses to run. */
export const WRAPPED_ENV = 'DCT_DOCKER_WRAPPED';

export interface DockerIo extends TrustIo {
  /** all of stdin (for `docker build -` and `--file -`) */
  readStdin(): Promise<Buffer>;
}

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

/** What `dct docker` will run: command lines (each stops the run when it fails). */
export interface DockerPlan {
  commands: string[][];
  /** lines for stdout / stderr before each command (docker's trusted pull messages) */
  before: Array<{ out?: string; err?: string }>;
  /** stderr lines about the pinned Dockerfile (build) */
  notes: string[];
  /** temporary files to remove afterwards */
  cleanup?: string;
  /** false when dct consumed stdin */
  stdin: boolean;
}

const DIGEST_ID = /^(sha256:)?[a-f0-9]{64}$/;

function withImage(argv: readonly string[], index: number, image: string): string[] {
  const out = [...argv];
  out[index] = image;
  return out;
}

/** `name@sha256:…` in docker's familiar form (`reference.FamiliarString(trustedRef)`). */
function trustedForm(ref: ImageReference, digest: string): string {
  return `${ref.familiarName}@${digest}`;
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

async function planPull(argv: readonly string[], p: ParsedCommand, resolver: TrustResolver, io: TrustIo): Promise<DockerPlan> {
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
  if (ref.digest !== undefined) return pass; // docker lets a pull by digest through
  if (all && ref.tag !== undefined) throw new CliFailure("tag can't be used with --all-tags/-a", { exitCode: 1 });
  const quiet = boolFlag(p.flags, 'quiet');
  const global = argv.slice(0, p.commandAt);
  const plan: DockerPlan = { commands: [], before: [], notes: [], stdin: true };
  let targets: Array<{ tag: string; digest: string }>;
  if (all) {
    targets = (await resolver.released(ref)).map((t) => ({ tag: t.tag, digest: `sha256:${t.sha256Hex}` }));
  } else {
    // docker says so before it looks at trust data
    if (ref.tag === undefined && !quiet) io.out('Using default tag: latest\n');
    const r = await resolver.resolveTag(ref);
    targets = [{ tag: r.tag, digest: r.digest }];
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
  resolver: TrustResolver,
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
  if (ref.digest !== undefined) return pass;
  try {
    const r = await resolver.resolveTag(ref);
    return { commands: [withImage(argv, at, trustedForm(ref, r.digest))], before: [{}], notes: [], stdin: true };
  } catch (err) {
    throw fail(resolutionFailure(err).message);
  }
}

const REMOTE_CONTEXT = /^(https?:\/\/|git:\/\/|git@|github\.com\/)/;

/** A stdin that is an archive (tar, gzip, bzip2, xz, zstd) rather than a Dockerfile. */
function isArchive(b: Buffer): boolean {
  if (b.length >= 262 && b.toString('latin1', 257, 262) === 'ustar') return true;
  const magic = b.subarray(0, 6).toString('hex');
  return magic.startsWith('1f8b') || magic.startsWith('425a68') || magic.startsWith('fd377a585a00') || magic.startsWith('28b52ffd');
}

async function planBuild(
  argv: readonly string[],
  p: ParsedCommand,
  resolver: TrustResolver,
  io: DockerIo,
  dryRun: boolean,
): Promise<DockerPlan> {
  const at = p.positionals[0];
  if (at === undefined) return { commands: [[...argv]], before: [{}], notes: [], stdin: true };
  const context = argv[at]!;
  const fileFlag = lastFlag(p.flags, 'file');
  const file = typeof fileFlag === 'string' ? fileFlag : undefined;
  if (REMOTE_CONTEXT.test(context)) {
    throw new CliFailure(
      `dct docker: cannot pin the FROM lines of a remote build context (${context}): build a local copy, or pass --disable-content-trust to build it unchecked`,
      { exitCode: 1 },
    );
  }
  let text: string;
  let label: string;
  let source: string | undefined;
  let stdin = true;
  let emptyContext = false;
  if (context === '-' || file === '-') {
    const bytes = await io.readStdin();
    stdin = false;
    if (isArchive(bytes)) {
      throw new CliFailure('dct docker: cannot pin the FROM lines of a build context read from stdin as an archive: build from a folder', {
        exitCode: 1,
      });
    }
    text = bytes.toString('latin1');
    label = 'Dockerfile (stdin)';
    emptyContext = context === '-';
  } else {
    const dir = resolve(io.cwd, context);
    if (file !== undefined) source = resolve(io.cwd, file);
    else {
      source = join(dir, 'Dockerfile');
      if (!(await lstat(source).catch(() => undefined)) && (await lstat(join(dir, 'dockerfile')).catch(() => undefined)))
        source = join(dir, 'dockerfile');
    }
    try {
      text = (await readFile(source)).toString('latin1');
    } catch (err) {
      throw new CliFailure(goFileError('open', source, err), { exitCode: 1 });
    }
    label = file ?? (isAbsolute(context) ? source : join(context, source === join(dir, 'dockerfile') ? 'dockerfile' : 'Dockerfile'));
  }

  const parsed = parseDockerfile(text);
  const args = new Map<string, string | undefined>();
  for (const a of parsed.globalArgs) args.set(a.name, a.value);
  for (const f of p.flags) {
    if (f.name !== 'build-arg' || typeof f.value !== 'string') continue;
    const eq = f.value.indexOf('=');
    const name = eq < 0 ? f.value : f.value.slice(0, eq);
    if (!args.has(name)) continue; // only declared ARGs reach FROM
    if (eq >= 0) args.set(name, f.value.slice(eq + 1));
    else if (io.env[name] !== undefined) args.set(name, io.env[name]);
  }
  const stages = new Set(parsed.stages);
  const replacements: Replacement[] = [];
  const notes: string[] = [];
  const failures: string[] = [];
  await Promise.all(
    parsed.references.map(async (r) => {
      if (r.skip === 'scratch' || r.skip === 'stage') return;
      const where = `${label}:${r.line}`;
      if (r.skip && r.skip !== 'variable') {
        failures.push(`${where}: cannot pin FROM ${r.text}: it ${SKIP_TEXT[r.skip]}`);
        return;
      }
      let image = r.text;
      if (r.skip === 'variable') {
        const expanded = expandArgs(r.text, args, parsed.escape);
        if (expanded === undefined) {
          failures.push(`${where}: cannot pin FROM ${r.text}: it uses a variable only the builder knows`);
          return;
        }
        image = expanded;
        if (image.toLowerCase() === 'scratch' || stages.has(image.toLowerCase())) return;
      }
      let ref: ImageReference;
      try {
        ref = parseImageReference(image);
      } catch (err) {
        failures.push(`${where}: FROM ${image}: ${(err as Error).message}`);
        return;
      }
      if (ref.digest !== undefined) return;
      try {
        const resolved = await resolver.resolveTag(ref);
        const pinned = trustedForm(ref, resolved.digest);
        replacements.push({ start: r.start, end: r.end, text: pinned });
        notes.push(`${where}: FROM ${r.text} -> ${pinned}\n`);
      } catch (err) {
        failures.push(`${where}: FROM ${image}: ${resolutionFailure(err).message}`);
      }
    }),
  );
  if (failures.length > 0) throw new CliFailure(failures.sort(byLine).join('\n'), { exitCode: 1 });
  notes.sort(byLine);

  const pinnedText = applyReplacements(text, replacements);
  let dir = join(tmpdir(), 'dct-build-XXXXXX');
  if (!dryRun) {
    dir = await mkdtemp(join(tmpdir(), 'dct-build-'));
    await writeFile(join(dir, 'Dockerfile'), Buffer.from(pinnedText, 'latin1'));
    // a Dockerfile-specific ignore file (<Dockerfile>.dockerignore) goes along
    if (source) await copyFile(`${source}.dockerignore`, join(dir, 'Dockerfile.dockerignore')).catch(() => undefined);
    if (emptyContext) await mkdir(join(dir, 'context'));
  }
  let out = [...argv];
  if (emptyContext) out[at] = join(dir, 'context');
  const fileArg = `--file=${join(dir, 'Dockerfile')}`;
  // the last --file wins; after a `--` it would be a positional
  out = p.dashDash !== undefined ? [...out.slice(0, p.dashDash), fileArg, ...out.slice(p.dashDash)] : [...out, fileArg];
  return { commands: [out], before: [{}], notes, stdin, ...(dryRun ? {} : { cleanup: dir }) };
}

function byLine(a: string, b: string): number {
  const n = (s: string) => Number(/:(\d+): /.exec(s)?.[1] ?? 0);
  return n(a) - n(b);
}

export interface DockerRunOptions {
  exec?: Exec;
  /** realpath of the running dct entry point (to refuse DCT_DOCKER pointing back at it) */
  self?: string;
}

/** `dct docker [--dry-run] ARGS…`; returns the exit code. */
export async function runDocker(argvIn: readonly string[], io: DockerIo, options: DockerRunOptions = {}): Promise<number> {
  const argv = [...argvIn];
  let dryRun = false;
  while (argv[0] === '--dry-run' || argv[0] === '--') {
    if (argv.shift() === '--') break;
    dryRun = true;
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
  const trustIo: DockerIo = p.configDir !== undefined ? { ...io, env: { ...io.env, DOCKER_CONFIG: resolve(io.cwd, p.configDir) } } : io;
  const resolver = trustResolver(trustIo);
  let plan: DockerPlan;
  try {
    if (!p.command || boolFlag(p.flags, 'disable-content-trust')) plan = { commands: [argv], before: [{}], notes: [], stdin: true };
    else if (p.command === 'pull') plan = await planPull(argv, p, resolver, io);
    else if (p.command === 'build') plan = await planBuild(argv, p, resolver, io, dryRun);
    else plan = await planContainer(argv, p, resolver, p.command);
  } catch (err) {
    if (!(err instanceof CliFailure) && !(err instanceof ResolutionFailure)) throw err;
    const failure = resolutionFailure(err);
    io.err(`${failure.message}\n`);
    if (io.hints && failure.hint) io.err(`hint: ${failure.hint}\n`);
    return failure.exitCode;
  } finally {
    resolver.close();
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
  program
    .command('docker')
    .description(
      'run the docker CLI with the images of pull/run/create/build resolved to their signed digests first (--dry-run: print the command instead)',
    )
    .usage('[--dry-run] ARGS...')
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
