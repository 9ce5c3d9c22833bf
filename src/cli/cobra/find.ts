/**
 * cobra's command lookup (`Find`, `stripFlags`, `legacyArgs`): which command a
 * command line names, with "Did you mean this?" suggestions for a typo.
 */
import { CliFailure } from '../cli-failure.js';
import { goQuote } from '../pflag/strconv.js';
import type { Command } from './command.js';
import type { FlagSpec } from './flags.js';

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
      throw CliFailure.usage(
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
