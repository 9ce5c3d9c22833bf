/**
 * The command-line grammar of the notary CLI, which is built with Go's cobra and
 * pflag: the same flag syntax (`--flag value`, `--flag=value`, `-f value`, `-fvalue`,
 * grouped booleans `-yp`, flags anywhere among the arguments, `--` ends flags,
 * comma-separated lists that accumulate over repeats), the same command lookup
 * (with "Did you mean this?" suggestions), the same usage and help texts, and the
 * same error texts, so that scripts written for notary see no difference.
 */

export type FlagKind = 'bool' | 'string' | 'strings' | 'int' | 'ints';
export type FlagValue = boolean | string | string[] | number | number[];

export interface FlagSpec {
  name: string;
  short?: string;
  kind: FlagKind;
  usage: string;
  /** default value (shown in usage when not the zero value) */
  def?: FlagValue;
  /** not listed in usage (dct extensions such as --format) */
  hidden?: boolean;
}

export interface CommandSpec {
  /** `add [ GUN ] <target> <file>`: the first word is the name */
  use: string;
  short: string;
  long?: string;
  flags?: FlagSpec[];
  persistentFlags?: FlagSpec[];
  run?: (inv: Invocation) => Promise<void> | void;
  commands?: CommandSpec[];
}

export interface Io {
  out(s: string): void;
  err(s: string): void;
  /** raw bytes to stdout (`verify` echoes the payload as it is); default: `out` of its UTF-8 text */
  bytes?(b: Buffer): void;
}

export class Flags {
  constructor(
    private readonly values: Map<string, FlagValue>,
    private readonly changedSet: Set<string>,
  ) {}

  bool(name: string): boolean {
    return this.values.get(name) === true;
  }
  string(name: string): string {
    const v = this.values.get(name);
    return typeof v === 'string' ? v : '';
  }
  /** undefined when the flag was not given (Go's nil slice) */
  strings(name: string): string[] | undefined {
    const v = this.values.get(name);
    return Array.isArray(v) && this.changedSet.has(name) ? (v as string[]) : undefined;
  }
  int(name: string): number {
    const v = this.values.get(name);
    return typeof v === 'number' ? v : 0;
  }
  ints(name: string): number[] | undefined {
    const v = this.values.get(name);
    return Array.isArray(v) && this.changedSet.has(name) ? (v as number[]) : undefined;
  }
  changed(name: string): boolean {
    return this.changedSet.has(name);
  }
}

export interface Invocation {
  command: Command;
  args: string[];
  flags: Flags;
  io: Io;
  /** prints the command's usage (cobra `cmd.Usage()`) */
  usage(): void;
}

/** A failure reported as notary does: `\n* fatal: <message>\n` on stdout, exit 1. */
export class FatalError extends Error {}

/** notary's `fatalf` called from inside a command: `* fatal: <message>` without the blank line before */
export class AbortedError extends FatalError {}

export class Command {
  readonly name: string;
  readonly children: Command[] = [];
  parent: Command | undefined;
  readonly localFlags: FlagSpec[];
  readonly persistent: FlagSpec[];

  constructor(readonly spec: CommandSpec) {
    this.name = spec.use.split(' ')[0] as string;
    this.localFlags = [...(spec.flags ?? [])];
    this.persistent = [...(spec.persistentFlags ?? [])];
    for (const c of spec.commands ?? []) this.add(new Command(c));
  }

  add(child: Command): void {
    child.parent = this;
    this.children.push(child);
  }

  get runnable(): boolean {
    return this.spec.run !== undefined;
  }

  get path(): string {
    return this.parent ? `${this.parent.path} ${this.name}` : this.name;
  }

  /** every persistent flag of the ancestors */
  inheritedFlags(): FlagSpec[] {
    const out: FlagSpec[] = [];
    for (let p = this.parent; p; p = p.parent) out.push(...p.persistent);
    return out;
  }

  /** the flags this command parses: its own (with help), its persistent ones, the inherited ones */
  allFlags(): FlagSpec[] {
    return [...this.ownFlags(), ...this.inheritedFlags()];
  }

  /** local + persistent flags of this command, plus cobra's help flag */
  ownFlags(): FlagSpec[] {
    return [...this.localFlags, ...this.persistent, { name: 'help', short: 'h', kind: 'bool', usage: `help for ${this.name}` }];
  }

  /** subcommands shown in help: sorted by name */
  available(): Command[] {
    return [...this.children].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  useLine(): string {
    let line = this.parent ? `${this.parent.path} ${this.spec.use}` : this.spec.use;
    if (this.allFlags().some((f) => !f.hidden) && !line.includes('[flags]')) line += ' [flags]';
    return line;
  }

  /** cobra's default usage template (`withHelpFlag` false: before cobra added the help flag, as in `help <unknown>`) */
  usageString(withHelpFlag = true): string {
    let s = 'Usage:';
    if (this.runnable) s += `\n  ${this.useLine()}`;
    const subs = this.available();
    if (subs.length > 0) s += `\n  ${this.path} [command]`;
    if (subs.length > 0) {
      const pad = Math.max(11, ...subs.map((c) => c.name.length));
      s += '\n\nAvailable Commands:';
      for (const c of subs) s += `\n  ${c.name.padEnd(pad)} ${c.spec.short}`;
    }
    const local = this.ownFlags().filter((f) => !f.hidden && (withHelpFlag || f.name !== 'help'));
    if (local.length > 0) s += `\n\nFlags:\n${flagUsages(local).trimEnd()}`;
    const inherited = this.inheritedFlags().filter((f) => !f.hidden);
    if (inherited.length > 0) s += `\n\nGlobal Flags:\n${flagUsages(inherited).trimEnd()}`;
    if (subs.length > 0) s += `\n\nUse "${this.path} [command] --help" for more information about a command.`;
    return s + '\n';
  }

  /** cobra's default help: the long (or short) description, then the usage */
  helpString(): string {
    const text = (this.spec.long ?? this.spec.short).trimEnd();
    return (text ? `${text}\n\n` : '') + this.usageString();
  }
}

/** pflag FlagUsages: `  -s, --server string   usage (default …)`, aligned, sorted by name */
export function flagUsages(flags: FlagSpec[]): string {
  const sorted = [...flags].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const lines: Array<[string, string]> = [];
  let max = 0;
  for (const f of sorted) {
    let line = f.short ? `  -${f.short}, --${f.name}` : `      --${f.name}`;
    const varname = VARNAMES[f.kind];
    if (varname) line += ` ${varname}`;
    max = Math.max(max, line.length);
    let usage = f.usage;
    if (f.def !== undefined && !isZero(f.def))
      usage += typeof f.def === 'string' ? ` (default ${goQuote(f.def)})` : ` (default ${String(f.def)})`;
    lines.push([line, usage]);
  }
  return lines.map(([l, u]) => `${l}${' '.repeat(max - l.length)}   ${u}\n`).join('');
}

const VARNAMES: Record<FlagKind, string> = { bool: '', string: 'string', strings: 'strings', int: 'int', ints: 'ints' };

function isZero(v: FlagValue): boolean {
  return v === false || v === '' || v === 0 || (Array.isArray(v) && v.length === 0);
}

/** Go's %q / strconv.Quote for the strings we show */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0) as number;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out + '"';
}

// ---------------------------------------------------------------------------
// command lookup (cobra Find / stripFlags / legacyArgs)
// ---------------------------------------------------------------------------

function takesValue(flags: FlagSpec[], token: string): boolean {
  if (token.startsWith('--')) {
    const f = flags.find((x) => x.name === token.slice(2));
    return !f || f.kind !== 'bool';
  }
  const f = flags.find((x) => x.short === token.slice(1));
  return !f || f.kind !== 'bool';
}

/** cobra stripFlags: the arguments that are not flags (nor flag values) */
function stripFlags(args: string[], cmd: Command): string[] {
  const flags = cmd.allFlags();
  const out: string[] = [];
  const rest = [...args];
  while (rest.length > 0) {
    const s = rest.shift() as string;
    if (s === '--') break;
    if (s.startsWith('--') && !s.includes('=') && takesValue(flags, s)) {
      if (rest.length > 0) rest.shift();
    } else if (s.startsWith('-') && !s.startsWith('--') && !s.includes('=') && s.length === 2 && takesValue(flags, s)) {
      if (rest.length > 0) rest.shift();
    } else if (s !== '' && !s.startsWith('-')) {
      out.push(s);
    }
  }
  return out;
}

export function find(root: Command, args: string[]): { cmd: Command; args: string[] } {
  let cmd = root;
  let rest = [...args];
  for (;;) {
    const plain = stripFlags(rest, cmd);
    if (plain.length === 0) break;
    const next = cmd.children.find((c) => c.name === plain[0]);
    if (!next) break;
    const at = rest.indexOf(plain[0] as string);
    rest = [...rest.slice(0, at), ...rest.slice(at + 1)];
    cmd = next;
  }
  // cobra legacyArgs: the root command with subcommands takes no arguments
  if (!cmd.parent && cmd.children.length > 0) {
    const plain = stripFlags(rest, cmd);
    if (plain.length > 0)
      throw new FatalError(
        `unknown command ${goQuote(plain[0] as string)} for ${goQuote(cmd.path)}${suggestions(cmd, plain[0] as string)}`,
      );
  }
  return { cmd, args: rest };
}

function suggestions(cmd: Command, typed: string): string {
  const found = cmd
    .available()
    .filter((c) => levenshtein(typed.toLowerCase(), c.name.toLowerCase()) <= 2 || c.name.startsWith(typed.toLowerCase()));
  if (found.length === 0) return '';
  return `\n\nDid you mean this?\n${found.map((c) => `\t${c.name}\n`).join('')}`;
}

function levenshtein(a: string, b: string): number {
  const d: number[][] = [];
  for (let i = 0; i <= a.length; i++) d[i] = [i];
  for (let j = 0; j <= b.length; j++) (d[0] as number[])[j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      (d[i] as number[])[j] = Math.min(
        (d[i - 1] as number[])[j]! + 1,
        (d[i] as number[])[j - 1]! + 1,
        (d[i - 1] as number[])[j - 1]! + cost,
      );
    }
  }
  return (d[a.length] as number[])[b.length]!;
}

// ---------------------------------------------------------------------------
// flag parsing (pflag)
// ---------------------------------------------------------------------------

export function parseFlags(cmd: Command, args: string[]): { flags: Flags; positional: string[] } {
  const specs = cmd.allFlags();
  const values = new Map<string, FlagValue>();
  const changed = new Set<string>();
  for (const f of specs) values.set(f.name, f.def ?? zeroOf(f.kind));
  const positional: string[] = [];

  const set = (f: FlagSpec, raw: string, shown: string) => {
    const fail = (why: string) => new FatalError(`invalid argument ${goQuote(raw)} for ${goQuote(shown)} flag: ${why}`);
    switch (f.kind) {
      case 'bool': {
        const b = parseGoBool(raw);
        if (b === undefined) throw fail(`strconv.ParseBool: parsing ${goQuote(raw)}: invalid syntax`);
        values.set(f.name, b);
        break;
      }
      case 'string':
        values.set(f.name, raw);
        break;
      case 'int': {
        const n = parseGoInt(raw);
        if (n === undefined) throw fail(`strconv.ParseInt: parsing ${goQuote(raw)}: invalid syntax`);
        values.set(f.name, n);
        break;
      }
      case 'strings': {
        let parts: string[];
        try {
          parts = raw === '' ? [] : readCsvLine(raw);
        } catch (err) {
          throw fail((err as Error).message);
        }
        values.set(f.name, changed.has(f.name) ? [...(values.get(f.name) as string[]), ...parts] : parts);
        break;
      }
      case 'ints': {
        const parts = raw === '' ? [] : raw.split(',');
        const nums: number[] = [];
        for (const p of parts) {
          if (!/^[+-]?\d+$/.test(p)) throw fail(`strconv.Atoi: parsing ${goQuote(p)}: invalid syntax`);
          nums.push(Number(p));
        }
        values.set(f.name, changed.has(f.name) ? [...(values.get(f.name) as number[]), ...nums] : nums);
        break;
      }
    }
    changed.add(f.name);
  };

  const rest = [...args];
  while (rest.length > 0) {
    const s = rest.shift() as string;
    if (s.length === 0 || s[0] !== '-' || s.length === 1) {
      positional.push(s);
      continue;
    }
    if (s === '--') {
      positional.push(...rest);
      break;
    }
    if (s.startsWith('--')) {
      const body = s.slice(2);
      if (body.length === 0 || body[0] === '-' || body[0] === '=') throw new FatalError(`bad flag syntax: ${s}`);
      const eq = body.indexOf('=');
      const name = eq < 0 ? body : body.slice(0, eq);
      const f = specs.find((x) => x.name === name);
      if (!f) throw new FatalError(`unknown flag: --${name}`);
      const shown = f.short ? `-${f.short}, --${f.name}` : `--${f.name}`;
      if (eq >= 0) set(f, body.slice(eq + 1), shown);
      else if (f.kind === 'bool') set(f, 'true', shown);
      else if (rest.length > 0) set(f, rest.shift() as string, shown);
      else throw new FatalError(`flag needs an argument: ${s}`);
      continue;
    }
    // shorthands
    let shorts = s.slice(1);
    while (shorts.length > 0) {
      const c = shorts[0] as string;
      const f = specs.find((x) => x.short === c);
      if (!f) throw new FatalError(`unknown shorthand flag: '${c}' in -${shorts}`);
      const shown = `-${f.short}, --${f.name}`;
      if (shorts.length > 2 && shorts[1] === '=') {
        set(f, shorts.slice(2), shown);
        shorts = '';
      } else if (f.kind === 'bool') {
        set(f, 'true', shown);
        shorts = shorts.slice(1);
      } else if (shorts.length > 1) {
        set(f, shorts.slice(1), shown);
        shorts = '';
      } else if (rest.length > 0) {
        set(f, rest.shift() as string, shown);
        shorts = '';
      } else {
        throw new FatalError(`flag needs an argument: '${c}' in -${shorts}`);
      }
    }
  }
  return { flags: new Flags(values, changed), positional };
}

function zeroOf(kind: FlagKind): FlagValue {
  return kind === 'bool' ? false : kind === 'string' ? '' : kind === 'int' ? 0 : [];
}

function parseGoBool(s: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(s)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(s)) return false;
  return undefined;
}

/** strconv.ParseInt(s, 0, 64) for the values people type */
function parseGoInt(s: string): number | undefined {
  const m = /^([+-]?)(0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO]?[0-7_]*|[1-9][0-9_]*|0)$/.exec(s);
  if (!m) return undefined;
  const sign = m[1] === '-' ? -1 : 1;
  let body = (m[2] as string).replace(/_/g, '');
  let n: number;
  if (/^0[xX]/.test(body)) n = parseInt(body.slice(2), 16);
  else if (/^0[bB]/.test(body)) n = parseInt(body.slice(2), 2);
  else if (/^0[oO]/.test(body)) n = parseInt(body.slice(2), 8);
  else if (body.length > 1 && body.startsWith('0')) n = parseInt((body = body.slice(1)), 8);
  else n = parseInt(body, 10);
  return Number.isSafeInteger(n) ? sign * n : undefined;
}

/** one line of Go's encoding/csv (as pflag reads string lists) */
export function readCsvLine(line: string): string[] {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    let field = '';
    if (line[i] === '"') {
      i++;
      for (;;) {
        if (i >= line.length) throw new Error(`parse error on line 1, column ${i + 1}: extraneous or missing " in quoted-field`);
        const c = line[i] as string;
        if (c === '"') {
          if (line[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += c;
        i++;
      }
      if (i < line.length && line[i] !== ',')
        throw new Error(`parse error on line 1, column ${i + 1}: extraneous or missing " in quoted-field`);
    } else {
      while (i < line.length && line[i] !== ',') {
        if (line[i] === '"') throw new Error(`parse error on line 1, column ${i + 1}: bare " in non-quoted-field`);
        field += line[i];
        i++;
      }
    }
    fields.push(field);
    if (i >= line.length) return fields;
    i++; // the comma
  }
}

// ---------------------------------------------------------------------------
// execution (cobra ExecuteC)
// ---------------------------------------------------------------------------

/** Runs the command line; returns the exit code. Failures print as notary prints them. */
export async function execute(root: Command, args: string[], io: Io, describeError: (err: unknown) => string): Promise<number> {
  let found: { cmd: Command; args: string[] };
  try {
    found = find(root, args);
  } catch (err) {
    return fatal(io, describeError(err));
  }
  const { cmd } = found;
  if (cmd.name === 'help' && cmd.parent && !cmd.parent.parent) {
    const { positional } = safeParse(cmd, found.args);
    let target = root;
    for (const word of positional) {
      const next = target.children.find((c) => c.name === word);
      if (!next) {
        io.out(`Unknown help topic [${positional.map((p) => `\`${p}\``).join(' ')}]\n`);
        io.out(root.usageString(false));
        return 0;
      }
      target = next;
    }
    io.out(target.helpString());
    return 0;
  }
  let parsed: { flags: Flags; positional: string[] };
  try {
    parsed = parseFlags(cmd, found.args);
  } catch (err) {
    return fatal(io, describeError(err));
  }
  if (parsed.flags.bool('help') || !cmd.runnable) {
    io.out(cmd.helpString());
    return 0;
  }
  try {
    await cmd.spec.run?.({ command: cmd, args: parsed.positional, flags: parsed.flags, io, usage: () => io.out(cmd.usageString()) });
    return 0;
  } catch (err) {
    if (err instanceof AbortedError) {
      io.out(`* fatal: ${err.message}\n`);
      return 1;
    }
    return fatal(io, describeError(err));
  }
}

function safeParse(cmd: Command, args: string[]): { positional: string[] } {
  try {
    return parseFlags(cmd, args);
  } catch {
    return { positional: args.filter((a) => !a.startsWith('-')) };
  }
}

export function fatal(io: Io, message: string): number {
  io.out(`\n* fatal: ${message}\n`);
  return 1;
}
