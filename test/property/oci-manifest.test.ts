/**
 * Properties of the registry manifest and index parsers (outside bytes: every manifest
 * a registry serves or a client pushes): arbitrary bytes, arbitrary JSON, and byte and
 * structure mutations of real manifests and indexes (notation's OCI layouts) are
 * refused with a DctError or parsed; what parses carries the digest and size of its
 * own bytes and only valid child descriptors. Digests and platforms likewise.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  childDescriptors,
  digestOf,
  MANIFEST_ACCEPT_TYPES,
  parseDescriptor,
  parseDigest,
  parseManifest,
  parsePlatform,
  formatPlatform,
} from '../../src/core/oci/index.js';
import { fixturePath } from '../support/fixtures.js';
import { checkProperty, mutatedBytes, mutatedJson, typedOrValue } from './property-support.js';

/** Every manifest and index in the notation fixtures' OCI layouts (small JSON blobs with schemaVersion 2). */
function realManifests(): Buffer[] {
  const out: Buffer[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else if (st.size < 64 * 1024 && (p.includes('/blobs/sha256/') || name === 'index.json')) {
        const b = readFileSync(p);
        try {
          if ((JSON.parse(b.toString('utf8')) as { schemaVersion?: unknown }).schemaVersion === 2) out.push(b);
        } catch {
          // a layer or a signature envelope
        }
      }
    }
  };
  walk(fixturePath('notation'));
  return out;
}
const manifests = realManifests();
const contentType = fc.option(fc.constantFrom(...MANIFEST_ACCEPT_TYPES, 'application/json', 'text/plain; charset=utf-8', ''), {
  nil: undefined,
});

function checkParsed(bytes: Buffer, ct: string | undefined): void {
  const m = typedOrValue(() => parseManifest(bytes, { ...(ct !== undefined ? { contentType: ct } : {}) }));
  if (!m) return;
  assert.equal(m.digest, digestOf(bytes));
  assert.equal(m.size, bytes.length);
  for (const d of childDescriptors(m)) parseDigest(d.digest);
}

describe('property: OCI manifests and indexes', () => {
  it(`has real manifests to mutate (${manifests.length})`, () => {
    assert.ok(manifests.length >= 10);
    for (const b of manifests) parseManifest(b);
  });

  it('arbitrary bytes and JSON are refused with a DctError', async () => {
    const input = fc.oneof(
      fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
      fc.jsonValue({ maxDepth: 4 }).map((v) => Buffer.from(JSON.stringify(v) ?? 'null')),
      fc
        .record({
          schemaVersion: fc.constantFrom(1, 2, '2'),
          mediaType: fc.option(fc.constantFrom(...MANIFEST_ACCEPT_TYPES)),
          manifests: fc.option(fc.jsonValue({ maxDepth: 3 })),
          config: fc.option(fc.jsonValue({ maxDepth: 2 })),
          layers: fc.option(fc.jsonValue({ maxDepth: 3 })),
        })
        .map((o) => Buffer.from(JSON.stringify(o))),
    );
    await checkProperty('parseManifest arbitrary input', [input, contentType], checkParsed, { numRuns: 2000 });
  });

  it('byte mutations of real manifests are refused with a DctError or parsed', async () => {
    await checkProperty('parseManifest mutated bytes', [mutatedBytes(manifests), contentType], checkParsed, { numRuns: 1500 });
  });

  it('structure mutations of real manifests are refused with a DctError or parsed', async () => {
    const docs = manifests.map((b) => JSON.parse(b.toString('utf8')) as unknown);
    await checkProperty(
      'parseManifest mutated structure',
      [mutatedJson(docs).map((v) => Buffer.from(JSON.stringify(v))), contentType],
      checkParsed,
      { numRuns: 2000 },
    );
  });

  it('descriptors, digests and platforms: refused with a DctError or valid; platforms round-trip', async () => {
    await checkProperty(
      'parseDescriptor arbitrary JSON',
      [fc.jsonValue({ maxDepth: 3 })],
      (v) => {
        const d = typedOrValue(() => parseDescriptor(v));
        if (d) parseDigest(d.digest);
      },
      { numRuns: 1500 },
    );
    await checkProperty(
      'parseDigest arbitrary text',
      [fc.oneof(fc.string({ maxLength: 140 }), fc.stringMatching(/^sha(256|384|512):[0-9a-fA-F]{60,130}$/))],
      (s) => {
        typedOrValue(() => parseDigest(s));
      },
      { numRuns: 2000 },
    );
    const spec = fc.oneof(
      fc.string({ maxLength: 30 }),
      fc.stringMatching(/^(linux|windows|darwin)?(\/(amd64|arm64|arm|386|s390x|x))?(\/v[5-8])?$/),
    );
    await checkProperty(
      'parsePlatform arbitrary text / round trip',
      [spec],
      (s) => {
        const p = typedOrValue(() => parsePlatform(s));
        if (p) assert.deepEqual(parsePlatform(formatPlatform(p)), p);
      },
      { numRuns: 2000 },
    );
  });
});
