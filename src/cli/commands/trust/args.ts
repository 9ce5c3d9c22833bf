/**
 * Command-line grammar of `dct trust …`, the way docker's cobra/pflag parse
 * `docker trust …`: flags anywhere among the arguments, `--name=value` or
 * `--name value`, bool flags with an optional `=true|false`, grouped short
 * flags (`-fy`), `--` ends the flags. Usage errors read as docker's (exit 125
 * for a bad flag, 1 for a wrong argument count), with `dct` in place of `docker`.
 */
import { CliFailure } from '../../cli-failure.js';
import { flagDisplayName, scanFlags, type SyntaxProblem } from '../../pflag/scan.js';
import { parseBool } from '../../pflag/strconv.js';

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

/** The one place this grammar builds its usage failures (docker prints them to stderr as they are). */
function usageFailure(text: string, exitCode: number): CliFailure {
  return CliFailure.usage(text, exitCode);
}

export const PROGRAM = 'dct';

function usageLine(spec: CommandSpec): string {
  return `Usage:  ${PROGRAM} ${spec.path} ${spec.use}`;
}

function flagError(spec: CommandSpec, message: string): CliFailure {
  return usageFailure(`${message}\n\n${usageLine(spec)}\n\nRun '${PROGRAM} ${spec.path} --help' for more information\n`, 125);
}

/** dct's docker-trust wording of a refused command line (whole argument after `in`, not pflag's remaining letters) */
function syntaxMessage(p: SyntaxProblem): string {
  if (p.shorthands === undefined)
    return p.reason === 'needs-argument' ? `flag needs an argument: --${p.name}` : `unknown flag: --${p.name}`;
  return p.reason === 'unknown' ? `unknown shorthand flag: '${p.name}' in ${p.token}` : `flag needs an argument: '${p.name}' in -${p.name}`;
}

const HELP: FlagSpec = { name: 'help', kind: 'bool', help: 'Print usage' };

export function parseArgs(spec: CommandSpec, argv: readonly string[]): ParsedArgs {
  const flags = new Map<string, string | string[]>();
  const args: string[] = [];
  let help = false;
  const all = [...spec.flags, HELP];
  const set = (f: FlagSpec, value: string) => {
    if (f.kind === 'bool') {
      const b = parseBool(value);
      if (b === undefined) {
        const shown = flagDisplayName(f.name, f.short);
        throw flagError(spec, `invalid argument "${value}" for "${shown}" flag: strconv.ParseBool: parsing "${value}": invalid syntax`);
      }
      if (f === HELP) help = b;
      else flags.set(f.name, String(b));
    } else if (f.kind === 'list') {
      const prev = flags.get(f.name);
      flags.set(f.name, [...(Array.isArray(prev) ? prev : []), value]);
    } else flags.set(f.name, value);
  };
  const items = scanFlags<FlagSpec>(argv, {
    long: (n) => all.find((f) => f.name === n),
    short: (s) => (s === 'h' ? HELP : all.find((f) => f.short === s)),
    takesValue: (f) => f.kind !== 'bool',
    shorthandEquals: 'always',
    fail: (p) => flagError(spec, syntaxMessage(p)),
  });
  for (const item of items) {
    if (item.kind === 'flag') set(item.flag, item.value ?? 'true');
    else if (item.kind === 'positional') args.push(argv[item.index] as string);
    else if (item.kind === 'end') args.push(...argv.slice(item.index));
  }
  if (help) return { args, flags, help };
  const cmd = `'${PROGRAM} ${spec.path}'`;
  if ('exact' in spec.args && args.length !== spec.args.exact) {
    const n = spec.args.exact;
    throw usageFailure(
      `${PROGRAM}: ${cmd} requires ${n} ${n === 1 ? 'argument' : 'arguments'}\n\n${usageLine(spec)}\n\nRun '${PROGRAM} ${spec.path} --help' for more information\n`,
      1,
    );
  }
  if ('min' in spec.args && args.length < spec.args.min) {
    const n = spec.args.min;
    throw usageFailure(
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
