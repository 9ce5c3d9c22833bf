/** What `dct trust` commands read and write: the process's streams, or a test's buffers. */

export interface TrustIo {
  /** stdout (docker's `Out()`) */
  out: (text: string) => void;
  /** stderr (docker's `Err()`) */
  err: (text: string) => void;
  /** one line of stdin without its line break, undefined at end of input (docker's prompt.Confirm) */
  readLine(): Promise<string | undefined>;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  now(): Date;
  /**
   * dct's extra `hint:` lines on stderr (cause and fix): on when stderr is a terminal or
   * DCT_HINTS=1, off with DCT_HINTS=0; off by default elsewhere so that outputs stay docker's bytes
   */
  hints: boolean;
}

export function processIo(): TrustIo {
  let buffered = '';
  let ended = false;
  return {
    out: (t) => void process.stdout.write(t),
    err: (t) => void process.stderr.write(t),
    readLine: () =>
      new Promise((resolve) => {
        const take = (): boolean => {
          const nl = buffered.indexOf('\n');
          if (nl >= 0) {
            const line = buffered.slice(0, nl).replace(/\r$/, '');
            buffered = buffered.slice(nl + 1);
            resolve(line);
            return true;
          }
          if (ended) {
            const rest = buffered;
            buffered = '';
            resolve(rest === '' ? undefined : rest);
            return true;
          }
          return false;
        };
        if (take()) return;
        const stdin = process.stdin;
        const onData = (chunk: Buffer | string) => {
          buffered += chunk.toString();
          if (take()) done();
        };
        const onEnd = () => {
          ended = true;
          take();
          done();
        };
        const done = () => {
          stdin.removeListener('data', onData);
          stdin.removeListener('end', onEnd);
          stdin.pause();
        };
        stdin.on('data', onData);
        stdin.on('end', onEnd);
        stdin.resume();
      }),
    env: process.env,
    cwd: process.cwd(),
    now: () => new Date(),
    hints: process.env['DCT_HINTS'] === '1' || (process.env['DCT_HINTS'] !== '0' && process.stderr.isTTY === true),
  };
}

/** A docker-style confirmation (`prompt.Confirm`): `<message> [y/N] ` on `write`, true for `y`/`Y`. */
export async function confirm(io: TrustIo, write: (t: string) => void, message: string): Promise<boolean> {
  write(`${message} [y/N] `);
  const answer = await io.readLine();
  return answer !== undefined && answer.trim().toLowerCase() === 'y';
}

/** JSON for `--format json` (2-space indent, one document). */
export function jsonOut(io: TrustIo, value: unknown): void {
  io.out(JSON.stringify(value, null, 2) + '\n');
}
