import assert from 'node:assert/strict';
import {
  createDecipheriv,
  createHash,
  createCipheriv,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  pbkdf2Sync,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { decodeInteger, decodeOid, derChildren, readDerExact, type DerNode } from '../../../src/core/der.js';
import { decodePem, encodePem } from '../../../src/core/encoding.js';
import { isDctError, type DctErrorCode } from '../../../src/core/errors.js';
import {
  decodePrivateKeyFile,
  encodePrivateKeyFile,
  encodePrivateKeyInfo,
  isEncryptedKeyFile,
  publicKeyOf,
  readKeyFileHeaders,
} from '../../../src/core/keys/key-file.js';
import { PublicKey } from '../../../src/core/keys/public-key.js';
import { fixturePath, listFiles } from '../../support/fixtures.js';

const VECTORS = fixturePath('notary-go-vectors');
const NOTARY_07 = fixturePath('notary-0.7');

/** Passphrases from each notary-0.7 case README. */
function fixturePassphrase(caseName: string, role: string): string {
  if (role === 'root') return 'fixture-root-pass';
  if (caseName === 'docker-signer-releases') return 'fixture-repo-pass';
  if (role === 'targets') return 'fixture-targets-pass';
  if (role === 'snapshot') return 'fixture-snapshot-pass';
  return 'fixture-delegation-pass';
}

/** Every key in the metadata below `dir` (all versions), and the key IDs each role lists. */
function metadataKeys(dir: string): { keys: PublicKey[]; roleKeyIds: Map<string, Set<string>> } {
  const keys: PublicKey[] = [];
  const roleKeyIds = new Map<string, Set<string>>();
  const addRole = (name: string, ids: string[]) => {
    const set = roleKeyIds.get(name) ?? new Set<string>();
    ids.forEach((id) => set.add(id));
    roleKeyIds.set(name, set);
  };
  for (const rel of listFiles(dir).filter((f) => f.endsWith('.json'))) {
    const signed = (JSON.parse(readFileSync(join(dir, rel), 'utf8')) as { signed?: SignedKeys | null }).signed;
    if (typeof signed !== 'object' || signed === null) continue;
    for (const [id, json] of Object.entries<unknown>(signed.keys ?? {})) {
      const key = PublicKey.fromJSON(json);
      assert.equal(key.id, id);
      keys.push(key);
    }
    for (const [name, role] of Object.entries<{ keyids: string[] }>(signed.roles ?? {})) addRole(name, role.keyids);
    for (const [id, json] of Object.entries<unknown>(signed.delegations?.keys ?? {})) {
      const key = PublicKey.fromJSON(json);
      assert.equal(key.id, id);
      keys.push(key);
    }
    for (const role of signed.delegations?.roles ?? []) addRole(role.name, role.keyids);
  }
  return { keys, roleKeyIds };
}

/** The key file's public key is in the metadata (root/x509 keys via canonicalId) under the file's role. */
function assertInMetadata(meta: ReturnType<typeof metadataKeys>, fileId: string, pub: PublicKey, role: string): void {
  const matches = meta.keys.filter((k) => k.canonicalId === fileId);
  assert.ok(matches.length > 0, `key ${fileId} (${role}) appears in the metadata`);
  for (const k of matches) assert.deepEqual(k.withoutCertificate().publicBytes, pub.publicBytes);
  const roleIds = new Set([...(meta.roleKeyIds.get(role) ?? []), ...(meta.roleKeyIds.get(`targets/${role}`) ?? [])]);
  assert.ok(
    matches.some((k) => roleIds.has(k.id)),
    `key ${fileId} is listed for role ${role}`,
  );
}

/** Decrypts notary's EncryptedPrivateKeyInfo independently of the decoder under test. */
function decryptByHand(pemText: string, passphrase: string): Buffer {
  const kids = (n: DerNode | undefined) => derChildren(n as DerNode);
  const [alg, data] = kids(readDerExact(decodePem(pemText).bytes));
  const [kdf, enc] = kids(kids(alg)[1]);
  const [salt, iter] = kids(kids(kdf)[1]);
  const iv = (kids(enc)[1] as DerNode).content;
  const key = pbkdf2Sync(passphrase, (salt as DerNode).content, Number(decodeInteger(iter as DerNode)), 32, 'sha1');
  const d = createDecipheriv('aes-256-cbc', key, iv);
  return Buffer.concat([d.update((data as DerNode).content), d.final()]);
}

/** The parts of a metadata file's `signed` that list keys. */
interface SignedKeys {
  keys?: Record<string, unknown>;
  roles?: Record<string, { keyids: string[] }>;
  delegations?: { keys?: Record<string, unknown>; roles?: { name: string; keyids: string[] }[] };
}

function assertCode(fn: () => unknown, code: DctErrorCode, message?: RegExp): void {
  assert.throws(fn, (err: unknown) => isDctError(err, code) && (!message || message.test((err as Error).message)));
}

function sameKey(a: KeyObject, b: KeyObject): void {
  assert.deepEqual(a.export({ format: 'jwk' }), b.export({ format: 'jwk' }));
}

const keyFiles = (dir: string) =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.key'))
    .sort();

describe('key files: notary-go-vectors', () => {
  const meta = metadataKeys(join(VECTORS, 'repo'));
  const expected: Record<string, [string, string?]> = {
    a9c3e230: ['root'],
    c75e74e5: ['root'],
    '8b0c2f30': ['targets', 'example.com/vectors/repo'],
    '095eb320': ['snapshot', 'example.com/vectors/repo'],
    edb58f6c: ['timestamp', 'example.com/vectors/repo'],
    '6e828bbb': ['alice'],
  };
  for (const file of keyFiles(join(VECTORS, 'repo', 'private'))) {
    it(`repo/private/${file} decrypts with 'password' and matches the metadata`, () => {
      const id = file.slice(0, -4);
      const text = readFileSync(join(VECTORS, 'repo', 'private', file), 'utf8');
      const key = decodePrivateKeyFile(text, 'password');
      assert.equal(key.encrypted, true);
      assert.equal(key.publicKey.id, id);
      const [role, gun] = expected[id.slice(0, 8)] as [string, string?];
      assert.equal(key.role, role);
      assert.equal(key.gun, gun);
      assertInMetadata(meta, id, key.publicKey, role);
      // notary's PrivateKeyInfo is exactly what our encoder produces
      assert.deepEqual(encodePrivateKeyInfo(key.privateKey), decryptByHand(text, 'password'));
      const plain = join(VECTORS, 'plain-pkcs8', file);
      if (existsSync(plain)) sameKey(decodePrivateKeyFile(readFileSync(plain, 'utf8'), undefined).privateKey, key.privateKey);
    });
  }
  for (const file of keyFiles(join(VECTORS, 'plain-pkcs8'))) {
    it(`plain-pkcs8/${file} decodes and is re-encoded byte for byte`, () => {
      const text = readFileSync(join(VECTORS, 'plain-pkcs8', file), 'utf8');
      assert.equal(isEncryptedKeyFile(text), false);
      const key = decodePrivateKeyFile(text, undefined);
      assert.equal(key.encrypted, false);
      assert.equal(key.publicKey.id, file.slice(0, -4));
      const again = encodePrivateKeyFile({
        privateKey: key.privateKey,
        role: key.role as string,
        passphrase: '',
        ...(key.gun ? { gun: key.gun } : {}),
      });
      assert.equal(again, text);
    });
  }
});

describe('key files: notary-0.7 fixtures (real notary / docker)', () => {
  const cases = readdirSync(NOTARY_07).filter((c) => existsSync(join(NOTARY_07, c, 'keys', 'INDEX.txt')));
  assert.ok(cases.length >= 7);
  for (const caseName of cases) {
    const dir = join(NOTARY_07, caseName, 'keys');
    const index = new Map<string, { role?: string; gun?: string }>();
    for (const line of readFileSync(join(dir, 'INDEX.txt'), 'utf8')
      .split('\n')
      .filter((l) => l.trim())) {
      const [file = ''] = line.split(/\s+/);
      index.set(file, { role: /role: (\S+)/.exec(line)?.[1], gun: /gun: (\S+)/.exec(line)?.[1] });
    }
    const meta = metadataKeys(join(NOTARY_07, caseName, 'server'));
    for (const file of keyFiles(dir)) {
      it(`${caseName}/keys/${file}`, () => {
        const text = readFileSync(join(dir, file), 'utf8');
        const headers = readKeyFileHeaders(text);
        assert.deepEqual({ role: headers.role, gun: headers.gun }, index.get(file));
        assert.equal(headers.encrypted, true);
        const passphrase = fixturePassphrase(caseName, headers.role as string);
        const key = decodePrivateKeyFile(text, passphrase);
        assert.equal(key.publicKey.id, file.slice(0, -4));
        assert.equal(key.role, headers.role);
        assert.equal(key.gun, headers.gun);
        assertInMetadata(meta, key.publicKey.id, key.publicKey, key.role as string);
        assert.deepEqual(encodePrivateKeyInfo(key.privateKey), decryptByHand(text, passphrase));
      });
    }
  }

  for (const name of ['alice', 'qa', 'rsa']) {
    it(`notary-delegations/keys/openssl-${name}.pem (OpenSSL PKCS#8) matches ${name}.crt and its imported copy`, () => {
      const dir = join(NOTARY_07, 'notary-delegations', 'keys');
      const key = decodePrivateKeyFile(readFileSync(join(dir, `openssl-${name}.pem`), 'utf8'), undefined);
      assert.equal(key.encrypted, false);
      assert.equal(key.role, undefined);
      const cert = PublicKey.fromCertificatePem(readFileSync(join(dir, `${name}.crt`), 'utf8'));
      assert.equal(key.publicKey.id, cert.canonicalId);
      const imported = decodePrivateKeyFile(readFileSync(join(dir, `${cert.canonicalId}.key`), 'utf8'), 'fixture-delegation-pass');
      sameKey(imported.privateKey, key.privateKey);
    });
  }
});

describe('key files: passphrases', () => {
  const ecFile = readFileSync(
    join(VECTORS, 'repo', 'private', '8b0c2f30fdc6de271fa8d74a2275b4108dd30e200475acf6ed41da455a86ab5a.key'),
    'utf8',
  );
  const edFile = readFileSync(
    join(VECTORS, 'repo', 'private', 'edb58f6c87383535ee5a726b331170cbf4c3495d41656be4e1264e4e014071db.key'),
    'utf8',
  );
  const rsaFile = readFileSync(
    join(NOTARY_07, 'notary-delegations', 'keys', '895e05019702cede1f4e9dbad7dd36ebd647ee48c97644b9331c7c023e6328b2.key'),
    'utf8',
  );

  it('a wrong passphrase is WRONG_PASSPHRASE for ECDSA, Ed25519 and RSA keys', () => {
    for (const text of [ecFile, edFile, rsaFile]) {
      assertCode(() => decodePrivateKeyFile(text, 'not-the-passphrase'), 'WRONG_PASSPHRASE');
      assertCode(() => decodePrivateKeyFile(text, ''), 'WRONG_PASSPHRASE');
    }
  });

  it('a missing passphrase for an encrypted key is WRONG_PASSPHRASE "passphrase required"', () => {
    assertCode(() => decodePrivateKeyFile(ecFile, undefined), 'WRONG_PASSPHRASE', /passphrase required/);
  });

  it('never crashes on many wrong passphrases (padding that validates by accident)', () => {
    for (let i = 0; i < 400; i++) {
      const pass = randomBytes(6).toString('hex');
      assertCode(() => decodePrivateKeyFile(i % 2 ? edFile : ecFile, pass), 'WRONG_PASSPHRASE');
    }
  });
});

describe('key files: writing', () => {
  const pairs = {
    ecdsa: () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey,
    rsa: () => generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey,
    ed25519: () => generateKeyPairSync('ed25519').privateKey,
  };
  for (const [type, make] of Object.entries(pairs)) {
    it(`round-trips ${type} keys, encrypted and not`, () => {
      const privateKey = make();
      for (const passphrase of ['correct horse', '']) {
        const text = encodePrivateKeyFile({ privateKey, role: 'targets', gun: 'example.com/a/b', passphrase });
        const lines = text.split('\n');
        const block = passphrase ? 'ENCRYPTED PRIVATE KEY' : 'PRIVATE KEY';
        assert.deepEqual(lines.slice(0, 4), [`-----BEGIN ${block}-----`, 'gun: example.com/a/b', 'role: targets', '']);
        assert.ok(lines.slice(4, -3).every((l) => l.length === 64));
        assert.equal(lines.at(-2), `-----END ${block}-----`);
        const back = decodePrivateKeyFile(text, passphrase);
        sameKey(back.privateKey, privateKey);
        assert.equal(back.publicKey.id, publicKeyOf(privateKey).id);
        assert.deepEqual([back.role, back.gun, back.encrypted], ['targets', 'example.com/a/b', passphrase !== '']);
      }
      const noGun = encodePrivateKeyFile({ privateKey, role: 'root', passphrase: 'x' });
      assert.match(noGun, /^-----BEGIN ENCRYPTED PRIVATE KEY-----\nrole: root\n\n/);
      assert.deepEqual(readKeyFileHeaders(noGun), { blockType: 'ENCRYPTED PRIVATE KEY', role: 'root', encrypted: true });
    });
  }

  it('writes notary quirks: EC PKCS#8 version 1, RSA without NULL, Ed25519 custom OID with 96 bytes', () => {
    const info = (k: KeyObject) => derChildren(readDerExact(encodePrivateKeyInfo(k)));
    const [ecVersion, ecAlg] = info(pairs.ecdsa());
    assert.equal(decodeInteger(ecVersion as DerNode), 1n);
    assert.deepEqual(derChildren(ecAlg as DerNode).map(decodeOid), ['1.2.840.10045.2.1', '1.2.840.10045.3.1.7']);
    const [rsaVersion, rsaAlg] = info(pairs.rsa());
    assert.equal(decodeInteger(rsaVersion as DerNode), 0n);
    assert.deepEqual(derChildren(rsaAlg as DerNode).map(decodeOid), ['1.2.840.113549.1.1.1']);
    const ed = pairs.ed25519();
    const [, edAlg, edBlob] = info(ed);
    assert.deepEqual(derChildren(edAlg as DerNode).map(decodeOid), ['1.3.6.1.4.1.11591.15.1']);
    const jwk = ed.export({ format: 'jwk' });
    const pub = Buffer.from(jwk.x as string, 'base64url');
    assert.deepEqual((edBlob as DerNode).content, Buffer.concat([pub, Buffer.from(jwk.d as string, 'base64url'), pub]));
  });

  it('encrypts like notary: PBES2, PBKDF2 {8-byte salt, 2048} without PRF, AES-256-CBC with a 16-byte IV', () => {
    const privateKey = pairs.ecdsa();
    const texts = [1, 2].map(() => encodePrivateKeyFile({ privateKey, role: 'root', passphrase: 'pw' }));
    assert.notEqual(texts[0], texts[1], 'fresh salt and IV each time');
    const [alg] = derChildren(readDerExact(decodePem(texts[0] as string).bytes));
    const [pbes2, params] = derChildren(alg as DerNode);
    assert.equal(decodeOid(pbes2 as DerNode), '1.2.840.113549.1.5.13');
    const [kdf, enc] = derChildren(params as DerNode);
    const [kdfOid, kdfParams] = derChildren(kdf as DerNode);
    assert.equal(decodeOid(kdfOid as DerNode), '1.2.840.113549.1.5.12');
    const kp = derChildren(kdfParams as DerNode);
    assert.equal(kp.length, 2, 'no keyLength, no PRF');
    assert.equal((kp[0] as DerNode).content.length, 8);
    assert.equal(decodeInteger(kp[1] as DerNode), 2048n);
    const [encOid, iv] = derChildren(enc as DerNode);
    assert.equal(decodeOid(encOid as DerNode), '2.16.840.1.101.3.4.1.42');
    assert.equal((iv as DerNode).content.length, 16);
    assert.deepEqual(decryptByHand(texts[0] as string, 'pw'), encodePrivateKeyInfo(privateKey));
  });

  for (const type of ['ecdsa', 'rsa'] as const) {
    it(`node's OpenSSL decrypts our ${type} file (independent check)`, () => {
      const privateKey = pairs[type]();
      const text = encodePrivateKeyFile({ privateKey, role: 'targets/x', passphrase: 'open sesame' });
      const parsed = createPrivateKey({ key: decodePem(text).bytes, format: 'der', type: 'pkcs8', passphrase: 'open sesame' });
      sameKey(parsed, privateKey);
    });
  }
});

describe('key files: other formats notary (or other tools) produce', () => {
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const ed = generateKeyPairSync('ed25519').privateKey;
  const pem = (type: string, bytes: Buffer, headers: Record<string, string> = {}) => encodePem({ type, headers, bytes });

  it('reads standard PKCS#8 (EC version 0, RSA with NULL, RFC 8410 Ed25519)', () => {
    for (const key of [ec, rsa, ed]) {
      const text = key.export({ format: 'pem', type: 'pkcs8' }) as string;
      sameKey(decodePrivateKeyFile(text, undefined).privateKey, key);
    }
  });

  it('reads PKCS#8 encrypted by OpenSSL defaults (PRF hmacWithSHA256, AES-256/128-CBC)', () => {
    for (const cipher of ['aes-256-cbc', 'aes-128-cbc']) {
      for (const key of [ec, rsa, ed]) {
        const text = key.export({ format: 'pem', type: 'pkcs8', cipher, passphrase: 'pw-123' }) as string;
        const back = decodePrivateKeyFile(text, 'pw-123');
        assert.equal(back.encrypted, true);
        sameKey(back.privateKey, key);
        assertCode(() => decodePrivateKeyFile(text, 'pw-124'), 'WRONG_PASSPHRASE');
      }
    }
  });

  it('reads legacy EC / RSA PRIVATE KEY blocks, plain and OpenSSL-encrypted (Proc-Type / DEK-Info)', () => {
    for (const [key, type] of [
      [ec, 'sec1'],
      [rsa, 'pkcs1'],
    ] as const) {
      sameKey(decodePrivateKeyFile(key.export({ format: 'pem', type }) as string, undefined).privateKey, key);
      for (const cipher of ['aes-256-cbc', 'aes-128-cbc']) {
        const text = key.export({ format: 'pem', type, cipher, passphrase: 'legacy-pw' }) as string;
        assert.match(text, /Proc-Type: 4,ENCRYPTED/);
        assert.equal(isEncryptedKeyFile(text), true);
        sameKey(decodePrivateKeyFile(text, 'legacy-pw').privateKey, key);
        assertCode(() => decodePrivateKeyFile(text, 'legacy-px'), 'WRONG_PASSPHRASE');
        assertCode(() => decodePrivateKeyFile(text, undefined), 'WRONG_PASSPHRASE', /passphrase required/);
      }
    }
  });

  it('reads legacy ED25519 PRIVATE KEY blocks (96-byte blob), plain and encrypted', () => {
    const jwk = ed.export({ format: 'jwk' });
    const pub = Buffer.from(jwk.x as string, 'base64url');
    const blob = Buffer.concat([pub, Buffer.from(jwk.d as string, 'base64url'), pub]);
    const plain = decodePrivateKeyFile(pem('ED25519 PRIVATE KEY', blob, { role: 'timestamp', gun: 'g' }), undefined);
    sameKey(plain.privateKey, ed);
    assert.deepEqual([plain.role, plain.gun], ['timestamp', 'g']);
    // x509.EncryptPEMBlock: key = MD5(pass ‖ iv[0:8]) ‖ MD5(that ‖ pass ‖ iv[0:8]), AES-256-CBC
    const iv = randomBytes(16);
    const d1 = createHash('md5').update('ed-pass').update(iv.subarray(0, 8)).digest();
    const d2 = createHash('md5').update(d1).update('ed-pass').update(iv.subarray(0, 8)).digest();
    const c = createCipheriv('aes-256-cbc', Buffer.concat([d1, d2]), iv);
    const headers = { 'Proc-Type': '4,ENCRYPTED', 'DEK-Info': `AES-256-CBC,${iv.toString('hex').toUpperCase()}` };
    const text = pem('ED25519 PRIVATE KEY', Buffer.concat([c.update(blob), c.final()]), headers);
    sameKey(decodePrivateKeyFile(text, 'ed-pass').privateKey, ed);
    assertCode(() => decodePrivateKeyFile(text, 'ed-pasS'), 'WRONG_PASSPHRASE');
  });

  it('rejects garbage with stable codes', () => {
    assertCode(() => decodePrivateKeyFile('hello', undefined), 'MALFORMED_PEM');
    assertCode(() => decodePrivateKeyFile('-----BEGIN PRIVATE KEY-----\n!!!!\n-----END PRIVATE KEY-----\n', undefined), 'MALFORMED_PEM');
    const spki = createPublicKey(ec).export({ format: 'pem', type: 'spki' }) as string;
    assertCode(() => decodePrivateKeyFile(spki, undefined), 'UNSUPPORTED_KEY_FILE');
    assertCode(() => decodePrivateKeyFile(pem('PRIVATE KEY', Buffer.from('3003020100', 'hex')), undefined), 'MALFORMED_DER');
    const truncated = (ec.export({ format: 'der', type: 'pkcs8' }) as Buffer).subarray(0, 40);
    assertCode(() => decodePrivateKeyFile(pem('PRIVATE KEY', truncated), undefined), 'MALFORMED_DER');
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
    assertCode(() => decodePrivateKeyFile(p384, undefined), 'UNSUPPORTED_KEY_FILE');
    const dsa = generateKeyPairSync('dsa', { modulusLength: 2048, divisorLength: 256 }).privateKey;
    assertCode(() => decodePrivateKeyFile(dsa.export({ format: 'pem', type: 'pkcs8' }) as string, undefined), 'UNSUPPORTED_KEY_FILE');
    assertCode(() => encodePrivateKeyFile({ privateKey: dsa, role: 'x', passphrase: '' }), 'UNSUPPORTED_KEY_TYPE');
  });
});
