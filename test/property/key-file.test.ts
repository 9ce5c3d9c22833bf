/**
 * Properties of the key-file and PEM/DER parsers (outside bytes: key files a user
 * imports, certificates in metadata): arbitrary text and mutations of real notary key
 * files (plain PKCS#8 and encrypted PKCS#8 with their passphrases) are refused with a
 * DctError or decoded, never crash; a key that still decodes has the key ID its public
 * part hashes to; PEM blocks round-trip through encodePem.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { readDer, readDerExact, derChildren } from '../../src/core/der.js';
import { decodePem, decodePemBlocks, encodePem } from '../../src/core/encoding.js';
import { decodePrivateKeyFile, readKeyFileHeaders } from '../../src/core/keys/key-file.js';
import { fixturePath } from '../support/fixtures.js';
import { checkProperty, mutatedBytes, typedOrValue } from './property-support.js';

const keysIn = (dir: string) =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.key'))
    .map((f) => readFileSync(join(dir, f)));
const plain = keysIn(fixturePath('notary-go-vectors', 'plain-pkcs8'));
/** root-rotation's encrypted keys, with the passphrases its README gives */
const PASSPHRASES: Record<string, string> = {
  root: 'fixture-root-pass',
  targets: 'fixture-targets-pass',
  snapshot: 'fixture-snapshot-pass',
};
const encrypted = keysIn(fixturePath('notary-0.7', 'root-rotation', 'keys'));

describe('property: key files and PEM', () => {
  it('has real key files to mutate', () => {
    assert.ok(plain.length >= 3 && encrypted.length >= 3);
    for (const k of plain) decodePrivateKeyFile(k.toString(), undefined);
  });

  it('arbitrary text is refused with a DctError', async () => {
    const pemish = fc
      .tuple(
        fc.constantFrom('PRIVATE KEY', 'ENCRYPTED PRIVATE KEY', 'EC PRIVATE KEY', 'RSA PRIVATE KEY', 'CERTIFICATE'),
        fc.string({ maxLength: 40 }),
        fc.base64String({ maxLength: 200 }),
      )
      .map(([type, header, body]) => `-----BEGIN ${type}-----\n${header}\n\n${body}\n-----END ${type}-----\n`);
    const input = fc.oneof(fc.string({ unit: 'binary', maxLength: 300 }), pemish);
    await checkProperty(
      'decodePrivateKeyFile arbitrary text',
      [input, fc.option(fc.string({ maxLength: 10 }), { nil: undefined })],
      (text, pass) => {
        typedOrValue(() => decodePrivateKeyFile(text, pass));
        typedOrValue(() => readKeyFileHeaders(text));
        typedOrValue(() => decodePemBlocks(text));
      },
      { numRuns: 1500 },
    );
  });

  it('mutated plain PKCS#8 key files: refused with a DctError, or a key whose ID hashes from it', async () => {
    await checkProperty(
      'decodePrivateKeyFile mutated plain keys',
      [mutatedBytes(plain)],
      (b) => {
        const key = typedOrValue(() => decodePrivateKeyFile(b.toString('latin1'), undefined));
        if (key) assert.match(key.publicKey.id, /^[0-9a-f]{64}$/);
      },
      { numRuns: 1000 },
    );
  });

  it('mutated encrypted key files: refused with a DctError (WRONG_PASSPHRASE among others) or decoded', async () => {
    await checkProperty(
      'decodePrivateKeyFile mutated encrypted keys',
      [mutatedBytes(encrypted)],
      (b) => {
        const text = b.toString('latin1');
        const role = typedOrValue(() => readKeyFileHeaders(text))?.role ?? 'root';
        typedOrValue(() => decodePrivateKeyFile(text, PASSPHRASES[role] ?? 'fixture-root-pass'));
      },
      { numRuns: 300 },
    );
  });

  it('PEM blocks round-trip: decodePem(encodePem(block)) gives the block back', async () => {
    const block = fc.record({
      type: fc.stringMatching(/^[A-Z][A-Z ]{0,20}[A-Z]$/),
      headers: fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/), fc.stringMatching(/^[!-~][ -~]{0,30}[!-~]$/), { maxKeys: 3 }),
      bytes: fc.uint8Array({ minLength: 1, maxLength: 200 }).map((b) => Buffer.from(b)),
    });
    await checkProperty(
      'PEM encode/decode round trip',
      [block],
      (b) => {
        const back = decodePem(encodePem(b));
        assert.equal(back.type, b.type);
        assert.deepEqual(back.bytes, b.bytes);
        assert.deepEqual({ ...back.headers }, { ...b.headers });
      },
      { numRuns: 1000 },
    );
  });

  it('DER reading of arbitrary bytes is refused with a DctError', async () => {
    await checkProperty(
      'readDer arbitrary bytes',
      [fc.uint8Array({ maxLength: 200 })],
      (bytes) => {
        const node = typedOrValue(() => readDerExact(Buffer.from(bytes)));
        if (node && (node.tag & 0x20) !== 0) typedOrValue(() => derChildren(node));
        typedOrValue(() => readDer(Buffer.from(bytes), bytes.length > 0 ? bytes[0]! % bytes.length : 0));
      },
      { numRuns: 2000 },
    );
  });
});
