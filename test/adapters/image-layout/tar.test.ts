/**
 * The hand-written tar code against itself and against GNU tar: long names (pax and GNU
 * headers), base-256 sizes, links, streamed entries whose header is patched afterwards.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TarArchiveFiles } from '../../../src/adapters/image-layout/layout-files.js';
import { indexTarFile, normaliseTarPath, scanTarStream } from '../../../src/adapters/image-layout/tar-reader.js';
import { TarFileWriter } from '../../../src/adapters/image-layout/tar-writer.js';
import { tarEnd, tarHeader, tarPadding } from '../../../src/adapters/image-layout/tar-header.js';
import { isDctError } from '../../../src/core/errors.js';
import { interopSkipHere, missingGnuTar } from '../../support/interop.js';

const sha = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

describe('tar', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'dct-tar-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const longName = `${'d'.repeat(120)}/${'e'.repeat(80)}/${'f'.repeat(110)}.txt`;

  it('writes entries GNU tar lists and extracts, long names included', async (t) => {
    const file = join(dir, 'w.tar');
    const tar = await TarFileWriter.create(file);
    await tar.addDirectory('a');
    await tar.addBuffer('a/hello.txt', Buffer.from('hello\n'), { mode: 0o600 });
    await tar.addBuffer(longName, Buffer.from('long'));
    await tar.addSymlink('a/link', 'hello.txt');
    const size = await tar.addStream(
      'a/streamed.bin',
      (async function* () {
        for (let i = 0; i < 5; i++) yield Buffer.alloc(300_000, i);
      })(),
    );
    assert.equal(size, 1_500_000);
    await tar.finish();

    const members = await indexTarFile(file);
    assert.deepEqual(
      members.map((m) => [m.name, m.type, m.size]),
      [
        ['a', 'directory', 0],
        ['a/hello.txt', 'file', 6],
        [longName, 'file', 4],
        ['a/link', 'symlink', 0],
        ['a/streamed.bin', 'file', 1_500_000],
      ],
    );
    assert.equal(members[1]?.mode, 0o600);
    const files = await TarArchiveFiles.open(file);
    assert.equal((await files.read('a/hello.txt', 100))?.toString(), 'hello\n');
    assert.equal((await files.read('a/link', 100))?.toString(), 'hello\n', 'symlinks are followed');
    assert.equal((await files.read(longName, 100))?.toString(), 'long');
    const streamed = Buffer.concat(await (await files.openRead('a/streamed.bin')).toArray());
    assert.equal(streamed.length, 1_500_000);
    assert.equal(streamed[1_499_999], 4);
    assert.deepEqual(await files.readRange('a/streamed.bin', 299_999, 2), Buffer.from([0, 1]));

    if (interopSkipHere(t, missingGnuTar())) return;
    const listing = execFileSync('tar', ['-tvf', file], { encoding: 'utf8' });
    assert.match(listing, /a\/hello\.txt/);
    assert.ok(listing.includes(longName));
    assert.match(listing, /a\/link -> hello\.txt/);
    const out = join(dir, 'x');
    mkdirSync(out);
    execFileSync('tar', ['-xf', file, '-C', out]);
    assert.equal(readFileSync(join(out, longName), 'utf8'), 'long');
    assert.equal(readFileSync(join(out, 'a', 'streamed.bin')).length, 1_500_000);
  });

  it('indexes archives GNU tar writes (gnu and pax formats, long names and links)', async (t) => {
    if (interopSkipHere(t, missingGnuTar())) return;
    const src = join(dir, 'src');
    mkdirSync(join(src, ...longName.split('/').slice(0, -1)), { recursive: true });
    writeFileSync(join(src, longName), 'x'.repeat(1000));
    writeFileSync(join(src, 'small'), 'y');
    symlinkSync(`../${'l'.repeat(150)}`, join(src, 'dangling'));
    for (const format of ['gnu', 'pax', 'ustar']) {
      const file = join(dir, `${format}.tar`);
      try {
        execFileSync('tar', [`--format=${format}`, '-cf', file, '-C', src, '.'], { stdio: 'pipe' });
      } catch {
        assert.equal(format, 'ustar', 'only ustar may refuse the long names');
        continue;
      }
      const members = await indexTarFile(file);
      const byName = new Map(members.map((m) => [m.name, m]));
      assert.equal(byName.get(longName)?.size, 1000, format);
      assert.equal(byName.get('small')?.size, 1, format);
      assert.equal(byName.get('dangling')?.linkname, `../${'l'.repeat(150)}`, format);
      const scanned = await scanTarStream([readFileSync(file)]);
      assert.equal(scanned.find((e) => e.name === longName)?.digest, sha('x'.repeat(1000)), format);
    }
  });

  it('reads and writes base-256 sizes (entries of 8 GiB and more)', async () => {
    const header = tarHeader({ name: 'huge', size: 9 * 1024 ** 3 });
    assert.equal(header.length, 512);
    assert.equal(header[124], 0x80);
    // an archive that claims a 9 GiB entry: indexing reports it runs past the end
    const file = join(dir, 'huge.tar');
    writeFileSync(file, Buffer.concat([header, Buffer.alloc(512)]));
    await assert.rejects(indexTarFile(file), (err) => isDctError(err, 'INVALID_TAR') && /runs past the end/.test((err as Error).message));

    // a small size written in base-256 (as some writers do) reads back
    const small = tarHeader({ name: 'b256', size: 0 });
    small.fill(0, 124, 136);
    small[124] = 0x80;
    small[134] = 0x03;
    small[135] = 0xe8;
    small.fill(0x20, 148, 156);
    let sum = 0;
    for (const b of small) sum += b;
    small.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'ascii');
    const f2 = join(dir, 'b256.tar');
    writeFileSync(f2, Buffer.concat([small, Buffer.alloc(1000, 9), tarPadding(1000), tarEnd()]));
    const [m] = await indexTarFile(f2);
    assert.equal(m?.size, 1000);
    assert.equal((await (await TarArchiveFiles.open(f2)).read('b256', 2000))?.length, 1000);
  });

  it('scans a tar stream in arbitrary chunks, hashing each file', async () => {
    const parts = [
      tarHeader({ name: './dir/', size: 0, type: 'directory' }),
      tarHeader({ name: 'dir/a', size: 700 }),
      Buffer.alloc(700, 1),
      tarPadding(700),
      tarHeader({ name: longName, size: 3 }),
      Buffer.from('abc'),
      tarPadding(3),
      tarEnd(),
    ];
    const whole = Buffer.concat(parts);
    const chunks: Buffer[] = [];
    for (let i = 0; i < whole.length; i += 37) chunks.push(whole.subarray(i, i + 37));
    const entries = await scanTarStream(chunks);
    assert.deepEqual(
      entries.map((e) => [e.name, e.type, e.size, e.digest]),
      [
        ['dir', 'directory', 0, undefined],
        ['dir/a', 'file', 700, sha(Buffer.alloc(700, 1))],
        [longName, 'file', 3, sha('abc')],
      ],
    );
    await assert.rejects(scanTarStream([whole.subarray(0, 1024 + 100)]), (err) => isDctError(err, 'INVALID_TAR'));
  });

  it('refuses what is not a tar archive', async () => {
    const file = join(dir, 'junk.tar');
    writeFileSync(file, Buffer.alloc(2048, 0x41));
    await assert.rejects(indexTarFile(file), (err) => isDctError(err, 'INVALID_TAR'));
  });

  it('normalises member paths', () => {
    assert.equal(normaliseTarPath('./a//b/'), 'a/b');
    assert.equal(normaliseTarPath('/x/../y'), 'y');
  });
});
