/**
 * Properties of the tar readers and the `docker save` archive reader (outside bytes:
 * every tarball `dct push` / `dct docker load` is handed). Archives made by GNU tar (gnu
 * and pax formats) and by dct's own docker-archive writer are mutated — header fields
 * set to odd values with the checksum fixed up (so the mutation gets past the checksum
 * check), pax records replaced, bytes flipped or cut — and then:
 * - indexTarFile (random access) and scanTarStream (streaming, fed in random chunks)
 *   refuse them with a DctError or list them, and when both list, they list the same
 *   members (name, type, size);
 * - DockerArchive.open / image / config / layers refuse with a DctError or read them.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { DockerArchive } from '../../src/adapters/image-layout/docker-archive.js';
import { indexTarFile, scanTarStream } from '../../src/adapters/image-layout/tar-reader.js';
import { TAR_BLOCK } from '../../src/adapters/image-layout/tar-header.js';
import { generateTestImage, writeDockerSaveTarball } from '../support/test-images.js';
import { checkProperty, mutatedBytes, typedOrValueAsync } from './property-support.js';

function hasGnuTar(): boolean {
  try {
    return execFileSync('tar', ['--version'], { encoding: 'utf8' }).includes('GNU tar');
  } catch {
    return false;
  }
}

function checksumOk(block: Buffer): boolean {
  let sum = 0;
  for (let i = 0; i < TAR_BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : (block[i] as number);
  return (
    parseInt(
      block
        .toString('latin1', 148, 156)
        .replace(/[\0 ]+$/, '')
        .trim(),
      8,
    ) === sum
  );
}

function fixChecksum(b: Buffer, at: number): void {
  b.fill(0x20, at + 148, at + 156);
  let sum = 0;
  for (let i = 0; i < TAR_BLOCK; i++) sum += b[at + i] as number;
  b.write(sum.toString(8).padStart(6, '0') + '\0 ', at + 148, 8, 'latin1');
}

/** Offsets of the header blocks of a tar file (blocks whose checksum is right). */
function headerOffsets(b: Buffer): number[] {
  const out: number[] = [];
  for (let at = 0; at + TAR_BLOCK <= b.length; at += TAR_BLOCK) {
    const block = b.subarray(at, at + TAR_BLOCK);
    if (block.some((x) => x !== 0) && checksumOk(block)) out.push(at);
  }
  return out;
}

/** A header field set to an odd value (size, type flag, name, link, magic), checksum fixed or not. */
const FIELDS = [
  { at: 124, len: 12 }, // size
  { at: 156, len: 1 }, // type flag
  { at: 0, len: 100 }, // name
  { at: 157, len: 100 }, // link name
  { at: 345, len: 155 }, // prefix
  { at: 257, len: 8 }, // magic + version
  { at: 100, len: 8 }, // mode
];
const fieldValue = fc.oneof(
  fc.constantFrom(
    '0',
    '1',
    '2',
    '5',
    '7',
    'x',
    'g',
    'L',
    'K',
    'S',
    '\0',
    ' ',
    '77777777777',
    '00000001000',
    '-1',
    '99999999999',
    '\x80\0\0\0\0\0\0\0\0\0\x10\0',
    '\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff',
    '../../etc/passwd',
    '/abs',
    'a/../../b',
  ),
  fc.string({ unit: 'binary-ascii', maxLength: 12 }),
);
const paxRecord = fc
  .tuple(
    fc.constantFrom('size', 'path', 'linkpath', 'mtime', 'x'),
    fc.oneof(
      fc.constantFrom('-1', '-600', '1e3', '0x10', '', ' 5', 'NaN', 'Infinity', '99999999999999999999', '4096', '0'),
      fc.string({ maxLength: 20 }),
    ),
  )
  .map(([k, v]) => {
    const body = ` ${k}=${v}\n`;
    let len = Buffer.byteLength(body) + 1;
    while (String(len).length + Buffer.byteLength(body) !== len) len = String(len).length + Buffer.byteLength(body);
    return `${len}${body}`;
  });

type TarEdit =
  { kind: 'field'; header: number; field: number; value: string; fix: boolean } | { kind: 'pax'; header: number; record: string };

/** A tar archive's bytes, shown by length only in fast-check's reports. */
class TarBytes {
  constructor(
    readonly bytes: Buffer,
    readonly edits: readonly TarEdit[],
  ) {}
  [fc.toStringMethod](): string {
    return `<${this.bytes.length} tar bytes after ${JSON.stringify(this.edits)}>`;
  }
}

/** Applies header-field and pax-record edits to a copy of `seed`. */
function applyEdits(seed: Buffer, edits: readonly TarEdit[]): TarBytes {
  const b = Buffer.from(seed);
  const headers = headerOffsets(seed);
  for (const e of edits) {
    const at = headers[e.header % headers.length] as number;
    if (e.kind === 'field') {
      const f = FIELDS[e.field % FIELDS.length]!;
      b.fill(0, at + f.at, at + f.at + f.len);
      b.write(e.value, at + f.at, f.len, 'latin1');
      if (e.fix) fixChecksum(b, at);
    } else if (b[at + 156] === 0x78 /* x */) {
      // the record replaces the start of the pax body; the rest becomes one filler record
      const size = parseInt(b.toString('latin1', at + 124, at + 136).replace(/\0.*$/, ''), 8);
      const rec = Buffer.from(e.record);
      const rest = size - rec.length;
      // (an earlier edit may have made the size field anything: only a body that is in the bytes is rewritten)
      if (Number.isFinite(size) && at + TAR_BLOCK + size <= b.length && (rest === 0 || rest >= 8)) {
        rec.copy(b, at + TAR_BLOCK);
        if (rest > 0) {
          const filler = Buffer.alloc(rest, 0x61);
          filler.write(`${String(rest).padStart(3, '0')} c=`, 0, 'latin1');
          filler[rest - 1] = 0x0a;
          filler.copy(b, at + TAR_BLOCK + rec.length);
        }
      }
    }
  }
  return new TarBytes(b, edits);
}

function tarMutations(seeds: readonly Buffer[]): fc.Arbitrary<TarBytes> {
  const edit: fc.Arbitrary<TarEdit> = fc.oneof(
    fc.record({
      kind: fc.constant('field' as const),
      header: fc.nat(),
      field: fc.nat({ max: FIELDS.length - 1 }),
      value: fieldValue,
      fix: fc.boolean(),
    }),
    fc.record({ kind: fc.constant('pax' as const), header: fc.nat(), record: paxRecord }),
  );
  const structured = fc
    .tuple(fc.constantFrom(...seeds), fc.array(edit, { minLength: 1, maxLength: 3 }))
    .map(([seed, edits]) => applyEdits(seed, edits));
  return fc.oneof({ weight: 3, arbitrary: structured }, { weight: 1, arbitrary: mutatedBytes(seeds).map((b) => new TarBytes(b, [])) });
}

async function* chunked(b: Buffer, sizes: number[]): AsyncGenerator<Buffer> {
  let pos = 0;
  for (let i = 0; pos < b.length; i++) {
    const n = Math.max(1, sizes[i % sizes.length] ?? 512);
    yield b.subarray(pos, pos + n);
    pos += n;
  }
}

describe('property: tar and docker archives', { skip: !hasGnuTar() && 'GNU tar not installed' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'dct-prop-tar-'));
  const seeds: Buffer[] = [];
  let dockerSave: Buffer;
  const scratch = join(dir, 'scratch.tar');

  before(async () => {
    const src = join(dir, 'src');
    mkdirSync(join(src, 'd'.repeat(60), 'e'.repeat(60)), { recursive: true });
    writeFileSync(join(src, 'small.txt'), 'hello\n');
    writeFileSync(join(src, 'd'.repeat(60), 'e'.repeat(60), 'long-name-file.bin'), Buffer.alloc(700, 7));
    writeFileSync(join(src, 'ü-ñame.txt'), 'x'.repeat(513));
    symlinkSync('small.txt', join(src, 'link'));
    for (const format of ['gnu', 'pax', 'ustar']) {
      const out = join(dir, `${format}.tar`);
      const members = format === 'ustar' ? ['small.txt', 'link', 'ü-ñame.txt'] : ['.'];
      execFileSync('tar', ['--format', format, '-cf', out, '-C', src, ...members]);
      seeds.push(readFileSync(out));
    }
    const layout = join(dir, 'layout');
    await generateTestImage(layout, { seed: 'property', tag: 'v1', layers: [2048, 1024], format: 'docker' });
    await writeDockerSaveTarball(layout, join(dir, 'save.tar'), { repoTags: ['example.com/prop/app:v1'] });
    dockerSave = readFileSync(join(dir, 'save.tar'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('the unmutated archives read alike both ways', async () => {
    for (const s of [...seeds, dockerSave]) {
      writeFileSync(scratch, s);
      const indexed = (await indexTarFile(scratch)).map((m) => [m.name, m.type, m.size]);
      const scanned = (await scanTarStream([s])).map((e) => [e.name, e.type, e.size]);
      assert.deepEqual(scanned, indexed);
    }
  });

  it('mutated tar files: refused with a DctError or listed, the same way by both readers', { timeout: 120_000 }, async () => {
    // found by this property: scanTarStream took a pax size of -1 (indexTarFile refused it) and listed a member of size -1
    const paxSeed = seeds[1] as Buffer;
    const negativePaxSize = [applyEdits(paxSeed, [{ kind: 'pax', header: 0, record: '11 size=-1\n' }]), [1]] as [TarBytes, number[]];
    // found by CI: a size field made huge by one edit, then a pax edit of the same header (the generator itself threw)
    const hugeThenPax = [
      applyEdits(paxSeed, [
        { kind: 'field', header: 0, field: 0, value: '77777777761', fix: true },
        { kind: 'pax', header: 0, record: '11 size=-1\n' },
      ]),
      [512],
    ] as [TarBytes, number[]];
    await checkProperty(
      'tar mutations index vs scan',
      [tarMutations(seeds), fc.array(fc.integer({ min: 1, max: 1500 }), { minLength: 1, maxLength: 4 })],
      async ({ bytes }, sizes) => {
        writeFileSync(scratch, bytes);
        const indexed = await typedOrValueAsync(() => indexTarFile(scratch));
        const scanned = await typedOrValueAsync(() => scanTarStream(chunked(bytes, sizes)));
        // the streaming reader is the stricter one (it also refuses a cut-off last block)
        if (scanned) {
          assert.ok(indexed, 'scanTarStream listed an archive indexTarFile refused');
          assert.deepEqual(
            scanned.map((e) => [e.name, e.type, e.size]),
            indexed.map((m) => [m.name, m.type, m.size]),
          );
          for (const e of scanned) assert.ok(Number.isSafeInteger(e.size) && e.size >= 0, `member size ${e.size}`);
        }
      },
      { numRuns: 1000, examples: [negativePaxSize, hugeThenPax] },
    );
  });

  it('mutated docker save archives: refused with a DctError or read', { timeout: 120_000 }, async () => {
    await checkProperty(
      'docker save archive mutations',
      [tarMutations([dockerSave])],
      async ({ bytes }) => {
        writeFileSync(scratch, bytes);
        const archive = await typedOrValueAsync(() => DockerArchive.open(scratch));
        if (!archive) return;
        for (const [i] of archive.entries.entries()) {
          const entry = await typedOrValueAsync(async () => archive.image(`@${i}`));
          if (!entry) continue;
          const config = await typedOrValueAsync(() => archive.config(entry));
          if (!config) continue;
          const layers = await typedOrValueAsync(() => archive.layers(entry, config));
          for (const layer of layers ?? []) await typedOrValueAsync(() => scanTarStream(layer.uncompressed()));
        }
      },
      { numRuns: 300 },
    );
  });
});
