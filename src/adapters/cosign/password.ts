/**
 * The password of a cosign key file, found as cosign finds it: `COSIGN_PASSWORD` when set
 * (even empty), else a no-echo prompt on a terminal ("Enter password for private key: ",
 * and again to confirm a new one), else everything piped on stdin.
 */
import { DctError } from '../../core/errors.js';
import './errors.js';

export interface PasswordInput extends NodeJS.EventEmitter {
  isTTY?: boolean;
  setRawMode?(mode: boolean): unknown;
  resume(): unknown;
  pause(): unknown;
}

export interface CosignPasswordSourceOptions {
  env?: Record<string, string | undefined>;
  input?: PasswordInput;
  output?: { write(s: string): unknown };
}

/** Returns the password; `confirm`: a new password, asked twice on a terminal. */
export function cosignPasswordSource(opts: CosignPasswordSourceOptions = {}): (confirm: boolean) => Promise<string> {
  const env = opts.env ?? process.env;
  const input = opts.input ?? process.stdin;
  const output = opts.output ?? process.stderr;
  return async (confirm) => {
    const fromEnv = env['COSIGN_PASSWORD'];
    if (fromEnv !== undefined) return fromEnv;
    if (!input.isTTY) return readAll(input);
    output.write('Enter password for private key: ');
    const first = await readHidden(input);
    output.write('\n');
    if (!confirm) return first;
    output.write('Enter password for private key again: ');
    const again = await readHidden(input);
    output.write('\n');
    if (first !== again) throw new DctError('COSIGN_PASSWORD_MISMATCH', 'passwords do not match');
    return first;
  };
}

function readAll(input: PasswordInput): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const onData = (c: Buffer | string) => chunks.push(Buffer.from(c));
    const done = () => {
      input.off('data', onData);
      input.off('end', done);
      input.off('error', reject);
      resolve(Buffer.concat(chunks).toString('utf8'));
    };
    input.on('data', onData);
    input.on('end', done);
    input.on('error', reject);
    input.resume();
  });
}

function readHidden(input: PasswordInput): Promise<string> {
  return new Promise((resolve, reject) => {
    let typed = '';
    input.setRawMode?.(true);
    const finish = (err?: Error) => {
      input.off('data', onData);
      input.setRawMode?.(false);
      input.pause();
      if (err) reject(err);
      else resolve(typed);
    };
    const onData = (chunk: Buffer | string) => {
      for (const ch of chunk.toString()) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return finish();
        if (ch === '\u0003') return finish(new DctError('COSIGN_PASSWORD_MISMATCH', 'interrupted while reading the password'));
        if (ch === '\u007f' || ch === '\b') typed = typed.slice(0, -1);
        else typed += ch;
      }
    };
    input.on('data', onData);
    input.resume();
  });
}
