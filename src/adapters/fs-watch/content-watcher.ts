/**
 * Tells when the content of files changes: `fs.watch` on their folders (which also sees a
 * Kubernetes ConfigMap or Secret volume swap its `..data` link) and, where events are not
 * delivered (network file systems, some containers), polling with `fs.watchFile`. The content is
 * compared by hash, so a touch or a duplicate event does not fire.
 */
import { createHash } from 'node:crypto';
import { watch, watchFile, unwatchFile, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';

export interface ContentWatcher {
  close(): void;
}

export interface WatchOptions {
  /** polling interval of the fallback (ms) */
  pollMs: number;
  /** wait this long after an event before reading (writers write in steps) */
  settleMs?: number;
  onError?: (err: unknown) => void;
}

async function fingerprint(paths: readonly string[]): Promise<string> {
  const hash = createHash('sha256');
  for (const path of paths) {
    try {
      hash.update(await readFile(path));
    } catch (err) {
      hash.update(`missing:${(err as NodeJS.ErrnoException).code ?? 'error'}`);
    }
    hash.update('\0');
  }
  return hash.digest('hex');
}

/**
 * Calls `onChange` (never twice at once) whenever the content of any of `paths` differs from what
 * it was when watching began or when it last fired.
 */
export async function watchContent(
  paths: readonly string[],
  onChange: () => Promise<void> | void,
  opts: WatchOptions,
): Promise<ContentWatcher> {
  let last = await fingerprint(paths);
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;

  const check = async (): Promise<void> => {
    const now = await fingerprint(paths);
    if (now === last || closed) return;
    last = now;
    await onChange();
  };
  const run = (): void => {
    if (running) {
      again = true;
      return;
    }
    running = check()
      .catch((err: unknown) => opts.onError?.(err))
      .finally(() => {
        running = undefined;
        if (again && !closed) {
          again = false;
          run();
        }
      });
  };
  const schedule = (): void => {
    if (closed) return;
    clearTimeout(timer);
    timer = setTimeout(run, opts.settleMs ?? 50);
  };

  const watchers: FSWatcher[] = [];
  const names = new Set(paths.map((p) => basename(p)));
  for (const dir of new Set(paths.map((p) => dirname(p)))) {
    try {
      const w = watch(dir, { persistent: false }, (_event, file) => {
        if (file === null || names.has(String(file)) || String(file).startsWith('..')) schedule();
      });
      w.on('error', (err) => opts.onError?.(err));
      watchers.push(w);
    } catch (err) {
      opts.onError?.(err); // polling still watches
    }
  }
  for (const path of paths) watchFile(path, { persistent: false, interval: opts.pollMs }, schedule);

  return {
    close(): void {
      closed = true;
      clearTimeout(timer);
      for (const w of watchers) w.close();
      for (const path of paths) unwatchFile(path, schedule);
    },
  };
}
