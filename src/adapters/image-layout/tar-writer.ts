/**
 * A tar file writer that can stream an entry whose size is only known at its end (the
 * header is patched in place afterwards).
 */
import { open, type FileHandle } from 'node:fs/promises';
import { tarEnd, tarError, tarHeader, tarPadding, type TarHeaderInput } from './tar-header.js';

/**
 * Writes a tar file entry by entry through positional writes, so a streamed entry of
 * unknown size gets its header patched once its body is written.
 */
export class TarFileWriter {
  private pos = 0;
  private closed = false;

  private constructor(
    readonly path: string,
    private readonly fh: FileHandle,
  ) {}

  static async create(path: string): Promise<TarFileWriter> {
    return new TarFileWriter(path, await open(path, 'wx'));
  }

  /** bytes written so far */
  get size(): number {
    return this.pos;
  }

  private async writeAt(buf: Uint8Array, at: number): Promise<void> {
    let done = 0;
    while (done < buf.length) {
      const { bytesWritten } = await this.fh.write(buf, done, buf.length - done, at + done);
      done += bytesWritten;
    }
  }

  private async append(buf: Uint8Array): Promise<void> {
    await this.writeAt(buf, this.pos);
    this.pos += buf.length;
  }

  async addBuffer(name: string, data: Uint8Array, options: Omit<TarHeaderInput, 'name' | 'size'> = {}): Promise<void> {
    await this.append(tarHeader({ ...options, name, size: data.length }));
    await this.append(data);
    await this.append(tarPadding(data.length));
  }

  async addDirectory(name: string, options: Omit<TarHeaderInput, 'name' | 'size' | 'type'> = {}): Promise<void> {
    await this.append(tarHeader({ ...options, name, size: 0, type: 'directory' }));
  }

  async addSymlink(name: string, target: string, options: Omit<TarHeaderInput, 'name' | 'size' | 'type' | 'linkname'> = {}): Promise<void> {
    await this.append(tarHeader({ ...options, name, size: 0, type: 'symlink', linkname: target }));
  }

  /**
   * Streams a file entry; its size need not be known in advance (the header is written
   * with size 0 and patched at the end). Returns the body's size.
   */
  async addStream(name: string, source: AsyncIterable<Uint8Array>, options: Omit<TarHeaderInput, 'name' | 'size'> = {}): Promise<number> {
    const header = tarHeader({ ...options, name, size: 0 });
    const headerAt = this.pos;
    await this.append(header);
    let size = 0;
    let batch: Buffer[] = [];
    let batched = 0;
    const flush = async () => {
      if (batched === 0) return;
      const buf = batch.length === 1 ? (batch[0] as Buffer) : Buffer.concat(batch, batched);
      batch = [];
      batched = 0;
      await this.append(buf);
    };
    for await (const chunk of source) {
      const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      batch.push(b);
      batched += b.length;
      size += b.length;
      if (batched >= 1024 * 1024) await flush();
    }
    await flush();
    await this.append(tarPadding(size));
    const patched = tarHeader({ ...options, name, size });
    if (patched.length !== header.length) throw tarError('internal: tar header length changed');
    await this.writeAt(patched, headerAt);
    return size;
  }

  /** Writes the end-of-archive blocks, fsyncs and closes. */
  async finish(): Promise<void> {
    await this.append(tarEnd());
    await this.fh.sync();
    await this.close();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.fh.close();
  }
}
