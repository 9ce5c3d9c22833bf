/**
 * The cosign CLI (`dct cosign …`): cosign 3's command tree (key files and blobs:
 * `key-commands.ts`, `blob-commands.ts`; images: `image-commands.ts`) run with cobra's
 * grammar (`src/cli/cobra`) and cosign's ways: its flag aliases (`--cert-identity` is
 * `--certificate-identity`, …), `--output-file` for stdout, and its failures as cosign
 * prints them — `Error: <message>` (cobra), then `<date> <time> error during command
 * execution: <message>` (Go's log), on stderr — with exit 1, or cosign's own exit codes
 * for `verify` (10 no signatures, 11 image not found, 12 no matching signatures, 13 no
 * certificate).
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { isCliFailure } from '../../cli-failure.js';
import { Command, type CommandSpec, type Io } from '../../cobra/command.js';
import { find } from '../../cobra/find.js';
import { parseFlags, type Flags } from '../../cobra/flags.js';
import { cosignBlobCommands } from './blob-commands.js';
import { cosignImageCommands, type CosignImageEnv } from './image-commands.js';
import { cosignKeyCommands, type CosignCommandEnv } from './key-commands.js';

export interface CosignHost extends CosignCommandEnv, CosignImageEnv {
  io?: Io;
}

/** The root of cosign's command tree. */
export function cosignRoot(host: CosignHost = {}): Command {
  const commands: CommandSpec[] = [...cosignKeyCommands(host), ...cosignBlobCommands(host), ...cosignImageCommands(host)];
  return new Command({
    use: 'cosign',
    short: 'A tool for Container Signing, Verification and Storage in an OCI registry',
    persistentFlags: [
      { name: 'output-file', kind: 'string', usage: 'log output to a file' },
      { name: 'verbose', short: 'd', kind: 'bool', usage: 'log debug output' },
      { name: 'timeout', short: 't', kind: 'string', def: '3m0s', usage: 'timeout for commands' },
    ],
    run: (inv) => inv.io.out(inv.command.helpString()),
    commands,
  });
}

/** cosign's flag aliases (its global normalisation function). */
const ALIASES: Readonly<Record<string, string>> = {
  cert: 'certificate',
  'cert-email': 'certificate-email',
  'cert-chain': 'certificate-chain',
  'cert-oidc-issuer': 'certificate-oidc-issuer',
  'output-cert': 'output-certificate',
  'cert-identity': 'certificate-identity',
};

function normalize(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === '--') {
      out.push(...args.slice(i));
      break;
    }
    const m = /^--([^=]+)(=.*)?$/.exec(a);
    const alias = m ? ALIASES[m[1] as string] : undefined;
    out.push(alias ? `--${alias}${m?.[2] ?? ''}` : a);
  }
  return out;
}

/** Go's log prefix: `2006/01/02 15:04:05 ` in local time. */
function logPrefix(now: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${now.getFullYear()}/${p(now.getMonth() + 1)}/${p(now.getDate())} ${p(now.getHours())}:${p(now.getMinutes())}:${p(now.getSeconds())} `;
}

/** Runs `cosign ARGS…`; returns the exit code. */
export async function runCosign(args: string[], host: CosignHost = {}): Promise<number> {
  const io: Io = host.io ?? {
    out: (s) => void process.stdout.write(s),
    err: (s) => void process.stderr.write(s),
    bytes: (b) => void process.stdout.write(b),
  };
  const fail = (message: string, exitCode = 1, usageOf?: string): number => {
    io.err(`Error: ${message}\n`);
    if (usageOf !== undefined) io.err(`Run '${usageOf} --help' for usage.\n`);
    io.err(`${logPrefix(new Date())}error during command execution: ${message}\n`);
    return exitCode;
  };
  const root = cosignRoot({ ...host, io });
  let parsed: { flags: Flags; positional: string[] };
  let found: { cmd: Command; args: string[] };
  try {
    found = find(root, normalize(args));
  } catch (err) {
    return fail((err as Error).message, 1, 'cosign');
  }
  const cmd = found.cmd;
  try {
    parsed = parseFlags(cmd, found.args);
  } catch (err) {
    return fail((err as Error).message);
  }
  if (parsed.flags.bool('help') || !cmd.runnable) {
    io.out(cmd.helpString());
    return 0;
  }
  let file: WriteStream | undefined;
  let out = io;
  const outputFile = parsed.flags.string('output-file');
  if (outputFile) {
    const stream = createWriteStream(outputFile);
    file = stream;
    out = { out: (s) => void stream.write(s), err: io.err, bytes: (b) => void stream.write(b) };
  }
  try {
    await cmd.spec.run?.({ command: cmd, args: parsed.positional, flags: parsed.flags, io: out, usage: () => io.err(cmd.usageString()) });
    return 0;
  } catch (err) {
    if (isCliFailure(err, 'reported')) return err.exitCode;
    return fail(err instanceof Error ? err.message : String(err), isCliFailure(err) ? err.exitCode : 1);
  } finally {
    if (file) await new Promise<void>((resolve) => file.end(() => resolve()));
  }
}
