/**
 * A command as Go's cobra models one (notary, cosign and notation are cobra CLIs): its use line, descriptions, flags (local,
 * persistent, inherited) and subcommands, and cobra's usage and help texts, byte
 * for byte as cobra (notary 0.7's version) prints them.
 */
import { goQuote } from '../pflag/strconv.js';
import type { FlagKind, Flags, FlagSpec, FlagValue } from './flags.js';

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
  out: (s: string) => void;
  err: (s: string) => void;
  /** raw bytes to stdout (`verify` echoes the payload as it is); default: `out` of its UTF-8 text */
  bytes?(b: Buffer): void;
}

export interface Invocation {
  command: Command;
  args: string[];
  flags: Flags;
  io: Io;
  /** prints the command's usage (cobra `cmd.Usage()`) */
  usage(): void;
}

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

const VARNAMES: Record<FlagKind, string> = {
  bool: '',
  string: 'string',
  strings: 'strings',
  stringArray: 'stringArray',
  int: 'int',
  ints: 'ints',
};

function isZero(v: FlagValue): boolean {
  return v === false || v === '' || v === 0 || (Array.isArray(v) && v.length === 0);
}
