/**
 * Command-line grammar of `dct trust …`, the way docker's cobra/pflag parse
 * `docker trust …`: flags anywhere among the arguments, `--name=value` or
 * `--name value`, bool flags with an optional `=true|false`, grouped short
 * flags (`-fy`), `--` ends the flags. Usage errors read as docker's (exit 125
 * for a bad flag, 1 for a wrong argument count), with `dct` in place of `docker`.
 */

export type FlagKind = 'bool' | 'string' | 'list';

export interface FlagSpec {
  name: string;
  short?: string;
  kind: FlagKind;
  /** value name in the help (`string`, `list`, `digest`, `bytes`) */
  valueName?: string;
  help: string;
  default?: string;
}

export interface CommandSpec {
  /** e.g. `trust signer add` */
  path: string;
  /** the usage line after the path, as docker's `Use` (e.g. `[OPTIONS] IMAGE[:TAG]`) */
  use: string;
  short: string;
  flags: readonly FlagSpec[];
  args: { exact: number } | { min: number };
}

export interface ParsedArgs {
  args: string[];
  /** bool flags: 'true'/'false'; string flags: the value; list flags: every value */
  flags: Map<string, string | string[]>;
  help: boolean;
}

/** A usage problem: print `text` to stderr and exit with `exitCode`. */
export class UsageError extends Error {
  constructor(
    readonly text: string,
    readonly exitCode: number,
  ) {
    super(text);
  }
}

export const PROGRAM = 'dct';

function usageLine(spec: CommandSpec): string {
  return `Usage:  ${PROGRAM} ${spec.path} ${spec.use}`;
}

function flagError(spec: CommandSpec, message: string): UsageError {
  return new UsageError(`${message}\n\n${usageLine(spec)}\n\nRun '${PROGRAM} ${spec.path} --help' for more information\n`, 125);
}

/** Go's strconv.ParseBool */
function parseBool(v: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  return undefined;
}

const HELP: FlagSpec = { name: 'help', kind: 'bool', help: 'Print usage' };

export function parseArgs(spec: CommandSpec, argv: readonly string[]): ParsedArgs {
  const flags = new Map<string, string | string[]>();
  const args: string[] = [];
  let help = false;
  const all = [...spec.flags, HELP];
  const byName = (n: string) => all.find((f) => f.name === n);
  const byShort = (s: string) => (s === 'h' ? HELP : all.find((f) => f.short === s));
  const set = (f: FlagSpec, value: string, shown: string) => {
    if (f.kind === 'bool') {
      const b = parseBool(value);
      if (b === undefined)
        throw flagError(spec, `invalid argument "${value}" for "${shown}" flag: strconv.ParseBool: parsing "${value}": invalid syntax`);
      if (f === HELP) help = b;
      else flags.set(f.name, String(b));
    } else if (f.kind === 'list') {
      const prev = flags.get(f.name);
      flags.set(f.name, [...(Array.isArray(prev) ? prev : []), value]);
    } else flags.set(f.name, value);
  };
  const shownName = (f: FlagSpec) => (f.short ? `-${f.short}, --${f.name}` : `--${f.name}`);

  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--') {
      args.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
      const f = byName(name);
      if (!f) throw flagError(spec, `unknown flag: --${name}`);
      if (eq >= 0) set(f, a.slice(eq + 1), shownName(f));
      else if (f.kind === 'bool') set(f, 'true', shownName(f));
      else {
        if (i + 1 >= argv.length) throw flagError(spec, `flag needs an argument: --${name}`);
        set(f, argv[++i] as string, shownName(f));
      }
      continue;
    }
    if (a.startsWith('-') && a.length > 1) {
      const shorts = a.slice(1);
      for (let j = 0; j < shorts.length; j++) {
        const c = shorts[j] as string;
        const f = byShort(c);
        if (!f) throw flagError(spec, `unknown shorthand flag: '${c}' in ${a}`);
        const rest = shorts.slice(j + 1);
        if (f.kind === 'bool') {
          if (rest.startsWith('=')) {
            set(f, rest.slice(1), shownName(f));
            break;
          }
          set(f, 'true', shownName(f));
          continue;
        }
        if (rest !== '') set(f, rest.startsWith('=') ? rest.slice(1) : rest, shownName(f));
        else {
          if (i + 1 >= argv.length) throw flagError(spec, `flag needs an argument: '${c}' in -${c}`);
          set(f, argv[++i] as string, shownName(f));
        }
        break;
      }
      continue;
    }
    args.push(a);
  }
  if (help) return { args, flags, help };
  const cmd = `'${PROGRAM} ${spec.path}'`;
  if ('exact' in spec.args && args.length !== spec.args.exact) {
    const n = spec.args.exact;
    throw new UsageError(
      `${PROGRAM}: ${cmd} requires ${n} ${n === 1 ? 'argument' : 'arguments'}\n\n${usageLine(spec)}\n\nRun '${PROGRAM} ${spec.path} --help' for more information\n`,
      1,
    );
  }
  if ('min' in spec.args && args.length < spec.args.min) {
    const n = spec.args.min;
    throw new UsageError(
      `${PROGRAM}: ${cmd} requires at least ${n} ${n === 1 ? 'argument' : 'arguments'}\n\n${usageLine(spec)}\n\nSee '${PROGRAM} ${spec.path} --help' for more information\n`,
      1,
    );
  }
  return { args, flags, help };
}

export function boolFlag(p: ParsedArgs, name: string): boolean {
  return p.flags.get(name) === 'true';
}

export function stringFlag(p: ParsedArgs, name: string): string | undefined {
  const v = p.flags.get(name);
  return typeof v === 'string' ? v : undefined;
}

export function listFlag(p: ParsedArgs, name: string): string[] {
  const v = p.flags.get(name);
  return Array.isArray(v) ? v : [];
}

/** The help text, laid out as docker's (`Usage:`, description, `Options:`). */
export function helpText(spec: CommandSpec): string {
  const rows = spec.flags.map((f) => {
    const names = f.short ? `  -${f.short}, --${f.name}` : `      --${f.name}`;
    const value = f.kind === 'bool' ? '' : ` ${f.valueName ?? (f.kind === 'list' ? 'list' : 'string')}`;
    const def = f.default !== undefined ? ` (default "${f.default}")` : '';
    return [names + value, f.help + def] as const;
  });
  const width = Math.max(0, ...rows.map(([l]) => l.length));
  const options = rows.map(([l, h]) => `${l.padEnd(width)}   ${h}`).join('\n');
  return `${usageLine(spec)}\n\n${spec.short}\n${rows.length > 0 ? `\nOptions:\n${options}\n` : ''}`;
}
