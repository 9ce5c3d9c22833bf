/**
 * The command-line front of the notary CLI, which is built with Go's cobra and
 * pflag: the same flag syntax (the shared pflag tokenizer, `src/cli/pflag`), the
 * same command lookup (with "Did you mean this?" suggestions), the same usage and
 * help texts, and the same error texts, so that scripts written for notary see no
 * difference. Failures are CliFailures, printed as notary prints them.
 */
import { isCliFailure } from '../../cli-failure.js';
import type { Command, Io } from '../../cobra/command.js';
import { parseFlags, type Flags } from '../../cobra/flags.js';
import { find } from '../../cobra/find.js';

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
    if (isCliFailure(err, 'reported')) return err.exitCode;
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

/** notary's `fatalf`: `\n* fatal: <message>\n` on stdout, exit 1 */
export function fatal(io: Io, message: string): number {
  io.out(`\n* fatal: ${message}\n`);
  return 1;
}
