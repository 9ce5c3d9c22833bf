/**
 * The docker CLI 28 command-line grammar, as far as `dct docker` needs it to find
 * the image arguments of `pull`, `push`, `run`, `create` and `build` (pflag's rules:
 * `--flag value`, `--flag=value`, bool flags without a value, shorthand groups
 * `-it`, `-eA=B`, `-e A=B`, `--` ends flags; `run`/`create` stop at their first
 * positional, the image). Flag sets from docker/cli v28.5.2
 * (`cli/flags/options.go`, `cli/command/container/{opts,run,create}.go`,
 * `cli/command/image/{pull,push,build}.go`) and, for `build` (docker 28 hands it to
 * buildx when BuildKit is on), docker/buildx v0.24 `commands/build.go`. No I/O.
 */
import { CliFailure } from '../../cli-failure.js';
import { scanFlags, type SyntaxProblem } from '../../pflag/scan.js';
import { parseBool } from '../../pflag/strconv.js';

export interface FlagSet {
  /** long names that take a value */
  values: ReadonlySet<string>;
  /** long names that take none (`--name` or `--name=bool`) */
  bools: ReadonlySet<string>;
  /** shorthand letter → long name */
  short: ReadonlyMap<string, string>;
}

function flagSet(values: string, bools: string): FlagSet {
  const short = new Map<string, string>();
  const names = (list: string) =>
    new Set(
      list
        .trim()
        .split(/\s+/)
        .map((spec) => {
          const m = /^([a-z0-9-]+)(?:\/([A-Za-z]))?$/.exec(spec);
          if (!m) throw new Error(`bad flag spec ${spec}`);
          if (m[2]) short.set(m[2], m[1]!);
          return m[1]!;
        }),
    );
  return { values: names(values), bools: names(bools), short };
}

/** docker's top-level flags (before the command word) */
export const GLOBAL_FLAGS = flagSet(
  'config context/c host/H log-level/l tlscacert tlscert tlskey',
  'debug/D tls tlsverify version/v help/h',
);

const CONTAINER_VALUES = `add-host annotation attach/a blkio-weight blkio-weight-device cap-add cap-drop cgroup-parent cgroupns cidfile
  cpu-count cpu-percent cpu-period cpu-quota cpu-rt-period cpu-rt-runtime cpu-shares/c cpus cpuset-cpus cpuset-mems
  device device-cgroup-rule device-read-bps device-read-iops device-write-bps device-write-iops dns dns-opt dns-option
  dns-search domainname entrypoint env/e env-file expose gpus group-add health-cmd health-interval health-retries
  health-start-interval health-start-period health-timeout hostname/h io-maxbandwidth io-maxiops ip ip6 ipc isolation
  kernel-memory label/l label-file link link-local-ip log-driver log-opt mac-address memory/m memory-reservation
  memory-swap memory-swappiness mount name net net-alias network network-alias oom-score-adj pid pids-limit platform
  publish/p pull restart runtime security-opt shm-size stop-signal stop-timeout storage-opt sysctl tmpfs ulimit user/u
  userns uts volume/v volume-driver volumes-from workdir/w`;
const CONTAINER_BOOLS = `disable-content-trust help init interactive/i no-healthcheck oom-kill-disable privileged publish-all/P
  quiet/q read-only rm tty/t use-api-socket`;

export const RUN_FLAGS = flagSet(`${CONTAINER_VALUES} detach-keys`, `${CONTAINER_BOOLS} detach/d sig-proxy`);
export const CREATE_FLAGS = flagSet(CONTAINER_VALUES, CONTAINER_BOOLS);
export const PULL_FLAGS = flagSet('platform', 'all-tags/a quiet/q disable-content-trust help/h');
export const PUSH_FLAGS = flagSet('platform', 'all-tags/a quiet/q disable-content-trust help/h');
export const BUILD_FLAGS = flagSet(
  `tag/t build-arg ulimit file/f memory/m memory-swap shm-size cpu-shares/c cpu-period cpu-quota cpuset-cpus cpuset-mems
   cgroup-parent isolation label cache-from security-opt network add-host target iidfile platform
   allow annotation cache-to build-context no-cache-filter output/o secret ssh attest sbom provenance call print progress
   metadata-file builder`,
  'no-cache rm force-rm quiet/q pull compress disable-content-trust squash help/h load push check debug/D',
);
/** `docker buildx [flags] build`: buildx's own flags before `build` */
export const BUILDX_ROOT_FLAGS = flagSet('builder', 'debug/D help/h');

export type DockerCommand = 'pull' | 'run' | 'create' | 'build' | 'push';

export interface FlagUse {
  /** long name ('' for an unknown flag given as --name=value) */
  name: string;
  value: string | true;
  /** indexes of the argv elements the flag occupies */
  from: number;
  to: number;
}

export interface ParsedCommand {
  /** the command dct resolves images for, or undefined for any other docker command */
  command?: DockerCommand;
  /** index of the first command word (argv before it: docker's global flags) */
  commandAt: number;
  /** index of the first argument after the command words */
  argsStart: number;
  /** `--config DIR` given before the command */
  configDir?: string;
  /** the command's flags, in order */
  flags: FlagUse[];
  /** indexes of positional arguments (for run/create: only the image; the container command follows) */
  positionals: number[];
  /** index of a `--` that ended the flags */
  dashDash?: number;
}

/** dct's wording of a refused docker command line (the whole argument after `in`; a hint for unknown long flags) */
function syntaxMessage(p: SyntaxProblem, what: string): string {
  if (p.shorthands !== undefined) {
    return p.reason === 'unknown'
      ? `unknown shorthand flag: '${p.name}' in ${p.token}`
      : `flag needs an argument: '${p.name}' in ${p.token}`;
  }
  if (p.reason === 'needs-argument') return `flag needs an argument: --${p.name}`;
  return `unknown flag: --${p.name} (dct knows docker CLI 28's ${what} flags; write --${p.name}=VALUE if it takes a value)`;
}

/**
 * Parses flags of `set` from `argv[start]`; `interspersed` = positionals and flags
 * may mix (pflag's default), else parsing stops at the first positional.
 */
export function parseFlags(
  argv: readonly string[],
  start: number,
  set: FlagSet,
  interspersed: boolean,
  what: string,
): { flags: FlagUse[]; positionals: number[]; dashDash?: number; stop: number } {
  const flags: FlagUse[] = [];
  const positionals: number[] = [];
  const known = (name: string) => (set.values.has(name) || set.bools.has(name) ? name : undefined);
  const items = scanFlags<string>(argv, {
    start,
    interspersed,
    long: known,
    short: (letter) => set.short.get(letter),
    takesValue: (name) => set.values.has(name),
    keepUnknownWithValue: true,
    shorthandEquals: 'always',
    fail: (p) => CliFailure.usage(syntaxMessage(p, what), 125), // docker refuses the command line: exit 125
  });
  for (const item of items) {
    if (item.kind === 'flag') flags.push({ name: item.flag, value: item.value ?? true, from: item.from, to: item.to });
    // a flag dct does not know, with its value attached: it occupies this argument only
    else if (item.kind === 'unknown') flags.push({ name: '', value: argv[item.index]!, from: item.index, to: item.index });
    else if (item.kind === 'positional') positionals.push(item.index);
    else if (item.dashDash) {
      for (let k = item.index; k < argv.length; k++) positionals.push(k);
      return { flags, positionals, dashDash: item.index - 1, stop: argv.length };
    } else {
      positionals.push(item.index);
      return { flags, positionals, stop: item.index + 1 };
    }
  }
  return { flags, positionals, stop: argv.length };
}

/** The value of the last use of a flag (pflag: the last one wins), or undefined. */
export function lastFlag(flags: readonly FlagUse[], name: string): string | true | undefined {
  let v: string | true | undefined;
  for (const f of flags) if (f.name === name) v = f.value;
  return v;
}

/** true when a bool flag was given and is on (`--x`, `--x=true`). */
export function boolFlag(flags: readonly FlagUse[], name: string): boolean {
  const v = lastFlag(flags, name);
  return v === true || (typeof v === 'string' && parseBool(v) === true);
}

const COMMANDS: Record<string, { command: DockerCommand; set: FlagSet; interspersed: boolean }> = {
  pull: { command: 'pull', set: PULL_FLAGS, interspersed: true },
  'image pull': { command: 'pull', set: PULL_FLAGS, interspersed: true },
  push: { command: 'push', set: PUSH_FLAGS, interspersed: true },
  'image push': { command: 'push', set: PUSH_FLAGS, interspersed: true },
  run: { command: 'run', set: RUN_FLAGS, interspersed: false },
  'container run': { command: 'run', set: RUN_FLAGS, interspersed: false },
  create: { command: 'create', set: CREATE_FLAGS, interspersed: false },
  'container create': { command: 'create', set: CREATE_FLAGS, interspersed: false },
  build: { command: 'build', set: BUILD_FLAGS, interspersed: true },
  'image build': { command: 'build', set: BUILD_FLAGS, interspersed: true },
  'builder build': { command: 'build', set: BUILD_FLAGS, interspersed: true },
  'buildx build': { command: 'build', set: BUILD_FLAGS, interspersed: true },
  'buildx b': { command: 'build', set: BUILD_FLAGS, interspersed: true },
};

/** Splits a docker command line into global flags, the command and its arguments. */
export function parseDockerArgs(argv: readonly string[]): ParsedCommand {
  const global = parseFlags(argv, 0, GLOBAL_FLAGS, false, 'global');
  const configValue = lastFlag(global.flags, 'config');
  const configDir = typeof configValue === 'string' ? configValue : undefined;
  const at = global.positionals[0];
  const base = { flags: [], positionals: [], ...(configDir !== undefined ? { configDir } : {}) };
  if (at === undefined || global.dashDash !== undefined) return { ...base, commandAt: argv.length, argsStart: argv.length };
  let words = [argv[at]!];
  let next = at + 1;
  if (argv[at] === 'image' || argv[at] === 'container' || argv[at] === 'builder') {
    if (argv[next] !== undefined) words = [argv[at], argv[next]!];
    next++;
  } else if (argv[at] === 'buildx') {
    // buildx's own flags may come before its subcommand
    const bx = parseFlags(argv, next, BUILDX_ROOT_FLAGS, false, 'buildx');
    const sub = bx.positionals[0];
    if (sub === undefined || bx.dashDash !== undefined) return { ...base, commandAt: at, argsStart: argv.length };
    words = ['buildx', argv[sub]!];
    next = sub + 1;
  }
  const spec = COMMANDS[words.join(' ')];
  if (!spec) return { ...base, commandAt: at, argsStart: at + 1 };
  const parsed = parseFlags(argv, next, spec.set, spec.interspersed, `docker ${words.join(' ')}`);
  return {
    ...base,
    command: spec.command,
    commandAt: at,
    argsStart: next,
    flags: parsed.flags,
    positionals: parsed.positionals,
    ...(parsed.dashDash !== undefined ? { dashDash: parsed.dashDash } : {}),
  };
}

/** POSIX shell quoting of one word (`'…'` when needed), for printing command lines. */
export function shellQuote(word: string): string {
  if (word !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

export function shellLine(words: readonly string[]): string {
  return words.map(shellQuote).join(' ');
}
