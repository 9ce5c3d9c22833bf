import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { canonicalBytes, canonicalize } from '../../../src/core/canonical-json.js';
import { isDctError } from '../../../src/core/errors.js';
import { parseMetadata, type Metadata } from '../../../src/core/tuf/metadata.js';
import { Root } from '../../../src/core/tuf/root.js';
import { Targets } from '../../../src/core/tuf/targets.js';
import { verifyThreshold } from '../../../src/core/tuf/verify.js';
import { fixturePath, listFiles, notaryCases, roleOfServedPath } from '../../support/fixtures.js';
import { newKey, signerOf } from '../../support/repo-simulator.js';

interface RepoFiles {
  name: string;
  dir: string;
  /** path relative to dir → role name */
  files: Array<{ path: string; role: string }>;
}

function corpus(): RepoFiles[] {
  const repos: RepoFiles[] = notaryCases().map((name) => {
    const dir = fixturePath('notary-0.7', name, 'server');
    const files = listFiles(dir).filter((path) => readFileSync(join(dir, path)).subarray(0, 10).toString() === '{"signed":');
    return { name: `notary-0.7/${name}`, dir, files: files.map((path) => ({ path, role: roleOfServedPath(path) })) };
  });
  const vecDir = fixturePath('notary-go-vectors', 'repo');
  repos.push({
    name: 'notary-go-vectors/repo',
    dir: vecDir,
    files: [
      ...listFiles(join(vecDir, 'metadata')).map((p) => ({ path: join('metadata', p), role: p.replace(/\.json$/, '') })),
      { path: 'rotation/1.root.json', role: 'root' },
      { path: 'rotation/2.root.json', role: 'root' },
    ],
  });
  const traffic = fixturePath('notary-0.7', 'client-traffic');
  repos.push({
    name: 'notary-0.7/client-traffic',
    dir: traffic,
    files: [
      { path: 'signed-snapshot-part.json', role: 'snapshot' },
      { path: 'signed-targets-part.json', role: 'targets' },
    ],
  });
  return repos;
}

describe('metadata models', () => {
  const repos = corpus();

  it('finds the whole fixture corpus', () => {
    assert.ok(repos.length >= 10);
    const total = repos.reduce((n, r) => n + r.files.length, 0);
    assert.ok(total >= 60, `expected every served file, found ${total}`);
  });

  for (const repo of repos) {
    describe(repo.name, () => {
      for (const { path, role } of repo.files) {
        it(`${path} (${role}) re-serialises to identical bytes`, () => {
          const bytes = readFileSync(join(repo.dir, path));
          const md = parseMetadata(bytes, role);
          assert.equal(md.serialize().toString('utf8'), bytes.toString('utf8'));
          // the typed model and the generic parsed value canonicalise identically
          assert.ok(md.signedBytes().equals(canonicalBytes(md.signed.toJSON())));
        });
      }

      it('every key ID matches its key content', () => {
        for (const { path, role } of repo.files) {
          const md = parseMetadata(readFileSync(join(repo.dir, path)), role);
          const keys = md.signed instanceof Root ? md.signed.keys : md.signed instanceof Targets ? md.signed.delegations.keys : {};
          for (const [id, key] of Object.entries(keys)) assert.equal(key.id, id, `${path}: key ${id}`);
        }
      });

      it(
        'every file verifies against the keys that delegate to it',
        { skip: !repo.files.some((f) => f.role === 'root') && 'no root in this corpus' },
        () => {
          const load = (p: string, r: string) => parseMetadata(readFileSync(join(repo.dir, p)), r);
          // the current files: not versions/ or by-checksum/ copies
          const current = new Map<string, Metadata>();
          for (const { path, role } of repo.files) {
            if (!/^(versions|by-checksum|rotation)\//.test(path)) current.set(role, load(path, role));
          }
          for (const { path, role } of repo.files) {
            const md = load(path, role);
            if (role === 'root') {
              const root = md.signed as Root;
              verifyThreshold(md, { keys: root.keys, ...root.roles['root']! }, role);
            } else if (!role.startsWith('targets/')) {
              // a versioned file may predate a key rotation: any root of the chain may vouch for it
              const roots = repo.files.filter((f) => f.role === 'root').map((f) => load(f.path, 'root').signed as Root);
              const verifiedBy = roots.filter((root) => {
                try {
                  verifyThreshold(md, { keys: root.keys, ...root.roles[role]! }, role);
                  return true;
                } catch {
                  return false;
                }
              });
              assert.ok(verifiedBy.length > 0, `${path} verifies against no root of ${repo.name}`);
            } else {
              const parent = current.get(role.slice(0, role.lastIndexOf('/')))!.signed as Targets;
              const d = parent.delegation(role)!;
              verifyThreshold(md, { keys: parent.delegations.keys, keyids: d.keyids, threshold: d.threshold }, role);
            }
          }
        },
      );
    });
  }
});

describe('metadata parsing refuses malformed input with stable codes', () => {
  const good = readFileSync(fixturePath('notary-go-vectors', 'repo', 'metadata', 'targets.json'), 'utf8');
  /** the parts of the fixture's targets.json the cases below change */
  interface TargetsDoc {
    signed: {
      _type: string;
      version: number;
      expires: string;
      targets: Record<string, { length: number; hashes: Record<string, string> }>;
      delegations: {
        keys: Record<string, { keyval: { public: string; private: string | null } }>;
        roles: { name: string; threshold: number }[];
      };
    };
    signatures: { sig: string }[];
  }
  const mutate = (f: (doc: TargetsDoc) => void) => {
    const doc = JSON.parse(good) as TargetsDoc;
    f(doc);
    return Buffer.from(JSON.stringify(doc));
  };
  const cases: Array<[string, Buffer, string, string]> = [
    ['not JSON', Buffer.from('{"signed":'), 'targets', 'MALFORMED_JSON'],
    ['wrong _type', mutate((d) => (d.signed._type = 'Root')), 'targets', 'INVALID_METADATA'],
    ['version 0', mutate((d) => (d.signed.version = 0)), 'targets', 'INVALID_METADATA'],
    ['fractional version', mutate((d) => (d.signed.version = 1.5)), 'targets', 'INVALID_METADATA'],
    ['bad expires', mutate((d) => (d.signed.expires = 'tomorrow')), 'targets', 'INVALID_METADATA'],
    ['negative length', mutate((d) => (d.signed.targets['hello.txt']!.length = -1)), 'targets', 'INVALID_METADATA'],
    ['bad base64 hash', mutate((d) => (d.signed.targets['hello.txt']!.hashes.sha256 = '***')), 'targets', 'MALFORMED_ENCODING'],
    ['grandchild delegation', mutate((d) => (d.signed.delegations.roles[0]!.name = 'targets/a/b')), 'targets', 'INVALID_METADATA'],
    ['upper-case delegation', mutate((d) => (d.signed.delegations.roles[0]!.name = 'targets/Alice')), 'targets', 'INVALID_METADATA'],
    ['delegation key missing', mutate((d) => (d.signed.delegations.keys = {})), 'targets', 'INVALID_METADATA'],
    ['zero threshold', mutate((d) => (d.signed.delegations.roles[0]!.threshold = 0)), 'targets', 'INVALID_METADATA'],
    [
      'private key material',
      mutate((d) => (Object.values(d.signed.delegations.keys)[0]!.keyval.private = 'AAAA')),
      'targets',
      'INVALID_KEY',
    ],
    ['signature not base64', mutate((d) => (d.signatures[0]!.sig = '!')), 'targets', 'MALFORMED_ENCODING'],
    ['invalid role name', Buffer.from(good), 'targets/../root', 'INVALID_METADATA'],
  ];
  for (const [what, bytes, role, code] of cases) {
    it(what, () => {
      assert.throws(
        () => parseMetadata(bytes, role),
        (err) => isDctError(err, code),
      );
    });
  }

  it('member names like __proto__ are ordinary names (no prototype tricks)', () => {
    const text = good.replace('"hello.txt":', '"__proto__":');
    const md = parseMetadata(Buffer.from(text), 'targets');
    assert.equal(md.serialize().toString(), text);
    assert.equal((md.signed as Targets).targets.get('__proto__')?.length, 13);
    const keyText = good.replace(/"6e828bbb[0-9a-f]*":\{"keytype"/, '"__proto__":{"keytype"');
    assert.throws(
      () => parseMetadata(Buffer.from(keyText), 'targets'),
      (err) => isDctError(err, 'INVALID_METADATA'),
    );
  });

  it('a root without all base roles', () => {
    const rootText = readFileSync(fixturePath('notary-go-vectors', 'repo', 'metadata', 'root.json'), 'utf8');
    const root = JSON.parse(rootText) as { signed: { roles: Record<string, unknown> } };
    delete root.signed.roles.snapshot;
    assert.throws(() => parseMetadata(Buffer.from(JSON.stringify(root)), 'root'), /missing snapshot role specification/);
  });
});

describe("verifyThreshold with literal: a signature over the file's own signed text", () => {
  const key = newKey();
  const signer = signerOf(key);
  const keys = { keys: { [key.publicKey.id]: key.publicKey }, keyids: [key.publicKey.id], threshold: 1 };
  const canonicalSigned = canonicalize({
    _type: 'Targets',
    delegations: { keys: {}, roles: [] },
    expires: '2030-01-01T00:00:00Z',
    targets: {},
    version: 2,
  });
  const envelope = async (signedText: string, signOver: string, tail = '') => {
    const sig = await signer.sign(Buffer.from(signOver));
    return Buffer.from(
      `{"signed":${signedText},"signatures":[{"keyid":"${sig.keyid}","method":"${sig.method}","sig":"${sig.sig.toString('base64')}"}]${tail}}`,
    );
  };
  const verify = (bytes: Buffer, literal: boolean) => verifyThreshold(parseMetadata(bytes, 'targets'), keys, 'targets', { literal });
  const refused = (err: unknown) => isDctError(err, 'THRESHOLD_NOT_MET');

  it('canonical text signed canonically: verifies either way', async () => {
    const file = await envelope(canonicalSigned, canonicalSigned);
    assert.equal(verify(file, true).size, 1);
    assert.equal(verify(file, false).size, 1);
  });

  it("non-canonical text whose canonical form was signed (notary's rule): verifies either way", async () => {
    const spaced = canonicalSigned.replace(/,/g, ', ');
    const file = await envelope(spaced, canonicalSigned);
    assert.equal(verify(file, true).size, 1);
    assert.equal(verify(file, false).size, 1);
  });

  it('non-canonical text signed as it stands: only the literal rule accepts it (notary refuses)', async () => {
    const spaced = canonicalSigned.replace(/,/g, ', ');
    const file = await envelope(spaced, spaced);
    assert.equal(verify(file, true).size, 1);
    assert.throws(() => verify(file, false), refused);
  });

  it('a second "signed" member after the signatures never borrows the first one\'s signature', async () => {
    const forged = canonicalSigned.replace('"version":2', '"version":3');
    const file = await envelope(canonicalSigned, canonicalSigned, `,"signed":${forged}`);
    const md = parseMetadata(file, 'targets');
    assert.equal((md.signed as Targets).version, 3, 'JSON.parse keeps the last member');
    assert.equal(md.literalSignedBytes(), undefined);
    assert.throws(() => verify(file, true), refused);
  });

  it('a wrong or truncated literal stretch falls back to the canonical bytes and still refuses a bad signature', async () => {
    const file = await envelope(canonicalSigned, canonicalSigned.replace('"version":2', '"version":9'));
    assert.throws(() => verify(file, true), refused);
    assert.throws(() => verify(file, false), refused);
  });
});
