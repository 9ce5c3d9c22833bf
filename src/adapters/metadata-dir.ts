/** A folder of metadata files laid out as notary's cache: `<dir>/<role>.json`. */
import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DctError } from '../core/errors.js';
import type { MetadataSource } from '../core/ports.js';
import { isValidRoleName } from '../core/tuf/roles.js';

export class MetadataDirectory implements MetadataSource {
  constructor(readonly dir: string) {}

  /**
   * Refuses a folder that is not there, is no folder, or holds no `root.json`, naming the folder
   * (IO_ERROR, MISSING_METADATA): without this, a mistyped path reads as "root trust data unavailable".
   */
  async assertHoldsRoot(): Promise<void> {
    const hint = 'give the folder that holds root.json, timestamp.json, … (a notary or docker cache: <trust dir>/tuf/<gun>/metadata)';
    try {
      if (!(await stat(this.dir)).isDirectory()) throw new DctError('IO_ERROR', `${this.dir} is not a folder: ${hint}`);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new DctError('IO_ERROR', `${this.dir}: no such folder; ${hint}`);
      if (err instanceof DctError) throw err;
      throw new DctError('IO_ERROR', `cannot read ${this.dir}: ${(err as Error).message}`, { cause: err });
    }
    if ((await this.read('root', 1)) === undefined) throw new DctError('MISSING_METADATA', `${this.dir} holds no root.json: ${hint}`);
  }

  async read(role: string, maxBytes: number): Promise<Buffer | undefined> {
    if (!isValidRoleName(role)) throw new DctError('INVALID_ROLE_NAME', `${JSON.stringify(role)} is not a role name`);
    let handle;
    try {
      handle = await open(join(this.dir, `${role}.json`), 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new DctError('IO_ERROR', `cannot read ${role}.json in ${this.dir}: ${(err as Error).message}`, { cause: err });
    }
    try {
      // read one byte more than allowed so an oversized file is noticed without reading it all;
      // the buffer fits the file (a limit of 100 MiB must not allocate 100 MiB)
      const { size } = await handle.stat();
      const buf = Buffer.allocUnsafe(Math.min(size, maxBytes) + 1);
      let total = 0;
      for (;;) {
        const { bytesRead } = await handle.read(buf, total, buf.length - total, total);
        if (bytesRead === 0) break;
        total += bytesRead;
        if (total === buf.length) break;
      }
      return buf.subarray(0, total);
    } finally {
      await handle.close();
    }
  }
}
