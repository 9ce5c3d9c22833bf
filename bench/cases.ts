/**
 * Benchmark inputs: a generated 10,000-target file and every served metadata
 * file of the notary-0.7 fixture corpus, each with the key set a client would
 * verify it against and the precomputed inputs of the "crypto limit".
 */
import { constants, createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GoTime } from '../src/core/go-time.js';
import { PublicKey } from '../src/core/keys/public-key.js';
import { KeySigner } from '../src/core/keys/signer.js';
import { Metadata, parseMetadata } from '../src/core/tuf/metadata.js';
import { Root } from '../src/core/tuf/root.js';
import { Targets } from '../src/core/tuf/targets.js';
import type { FileMeta } from '../src/core/tuf/file-meta.js';
import { verifyThreshold, type RoleKeySet } from '../src/core/tuf/verify.js';

/** One signature check as node:crypto sees it: algorithm, key options, signature. */
export interface CryptoCheck {
  algorithm: string | null;
  key: KeyObject | { key: KeyObject; dsaEncoding?: 'ieee-p1363'; padding?: number; saltLength?: number };
  sig: Buffer;
}

export interface BenchCase {
  name: string;
  role: string;
  bytes: Buffer;
  keys: RoleKeySet;
  /** canonical bytes of `signed` (precomputed: the limit does not pay for them) */
  canonical: Buffer;
  /** the signature checks verifyThreshold performs for this file */
  checks: CryptoCheck[];
}

const HERE = dirname(fileURLToPath(import.meta.url));
export const FIXTURES = resolve(HERE, '..', '..', 'shared', 'fixtures', 'notary-0.7');

/** The node:crypto call verifyThreshold makes for a signature (see src/core/keys/signature.ts). */
function cryptoCheck(key: PublicKey, method: string, sig: Buffer): CryptoCheck {
  const keyObject = key.keyObject();
  switch (method) {
    case 'ecdsa':
      return { algorithm: 'sha256', key: { key: keyObject, dsaEncoding: 'ieee-p1363' }, sig };
    case 'eddsa':
      return { algorithm: null, key: keyObject, sig };
    case 'rsapss':
    case 'pycrypto-pkcs#1 pss':
      return { algorithm: 'sha256', key: { key: keyObject, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, sig };
    case 'rsapkcs1v15':
      return { algorithm: 'sha256', key: { key: keyObject, padding: constants.RSA_PKCS1_PADDING, saltLength: 32 }, sig };
    default:
      throw new Error(`bench: unsupported signature method ${method}`);
  }
}

/** Builds a case; verifies it once with dct (throws if the key set does not vouch for the file). */
function makeCase(name: string, role: string, bytes: Buffer, keys: RoleKeySet): BenchCase {
  const md = parseMetadata(bytes, role);
  const valid = verifyThreshold(md, keys, role);
  const lookup = (id: string): PublicKey | undefined =>
    keys.keys instanceof Map ? (keys.keys as ReadonlyMap<string, PublicKey>).get(id) : (keys.keys as Record<string, PublicKey>)[id];
  const allowed = new Set(keys.keyids);
  const seen = new Set<string>();
  const checks: CryptoCheck[] = [];
  // the same signatures verifyThreshold checks: listed key IDs, each once
  for (const sig of md.signatures) {
    if (!allowed.has(sig.keyid) || seen.has(sig.keyid)) continue;
    const key = lookup(sig.keyid);
    if (!key) continue;
    seen.add(sig.keyid);
    checks.push(cryptoCheck(key, sig.method, sig.sig));
  }
  if (checks.length < valid.size) throw new Error(`bench: ${name}: fewer checks than valid signatures`);
  return { name, role, bytes, keys, canonical: Buffer.from(md.signedBytes()), checks };
}

/** A targets file with `count` targets signed by a fresh ECDSA P-256 key. */
export async function generatedTargetsCase(count: number): Promise<BenchCase> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const pub = PublicKey.fromKeyObject(publicKey);
  const targets: Record<string, FileMeta> = {};
  for (let i = 1; i <= count; i++) {
    const name = `tag-${String(i).padStart(5, '0')}`;
    const content = Buffer.from(`manifest of ${name}\n`.repeat(1 + (i % 7)));
    targets[name] = {
      length: 1000 + ((i * 7919) % 100_000),
      hashes: {
        sha256: createHash('sha256').update(content).digest(),
        sha512: createHash('sha512').update(content).digest(),
      },
    };
  }
  const model = new Targets('targets', 1, GoTime.parse('2030-01-01T00:00:00Z'), targets);
  const signed = await new Metadata(model, []).sign([new KeySigner(privateKey, pub)]);
  const bytes = signed.serialize();
  return makeCase(`targets-${count}`, 'targets', bytes, { keys: { [pub.id]: pub }, keyids: [pub.id], threshold: 1 });
}

function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out;
}

/** `versions/2.targets.json` → `targets`, `targets/releases.json` → `targets/releases`. */
function roleOfServedPath(path: string): string {
  return path
    .replace(/^versions\/\d+\./, '')
    .replace(/^by-checksum\//, '')
    .replace(/\.[0-9a-f]{64}\.json$/, '')
    .replace(/\.json$/, '');
}

/**
 * Every `server/` file of every notary-0.7 case that is signed metadata.
 * root files: against their own root role keys (a root is self-signed);
 * snapshot/timestamp/targets: against the case's root.json, or an older root
 * of the chain for a file that predates a key rotation; delegations: against
 * the delegation keys of the parent's current file.
 */
export function fixtureCases(): BenchCase[] {
  if (!existsSync(FIXTURES)) return [];
  const cases: BenchCase[] = [];
  for (const caseName of readdirSync(FIXTURES).sort()) {
    const dir = join(FIXTURES, caseName, 'server');
    if (!existsSync(join(dir, 'root.json'))) continue;
    const files = listFiles(dir).filter((p) => readFileSync(join(dir, p)).subarray(0, 10).toString() === '{"signed":');
    const read = (p: string) => readFileSync(join(dir, p));
    const roots = [
      parseMetadata(read('root.json'), 'root').signed,
      ...files.filter((p) => roleOfServedPath(p) === 'root' && p !== 'root.json').map((p) => parseMetadata(read(p), 'root').signed),
    ];
    for (const path of files) {
      const role = roleOfServedPath(path);
      const bytes = read(path);
      // by-checksum names: the first 8 hex digits are enough to tell them apart
      const name = `${caseName}/${path.replace(/\.([0-9a-f]{8})[0-9a-f]{56}\.json$/, '.$1….json')}`;
      const candidates: RoleKeySet[] = [];
      if (role === 'root') {
        const own = parseMetadata(bytes, 'root').signed;
        candidates.push({ keys: own.keys, ...roleKeys(own, 'root') });
      } else if (role.startsWith('targets/')) {
        const parentRole = role.slice(0, role.lastIndexOf('/'));
        const parent = parseMetadata(read(`${parentRole}.json`), parentRole).signed as Targets;
        const d = parent.delegation(role);
        if (!d) throw new Error(`bench: ${name}: ${parentRole} does not delegate to ${role}`);
        candidates.push({ keys: parent.delegations.keys, keyids: d.keyids, threshold: d.threshold });
      } else {
        for (const root of roots) candidates.push({ keys: root.keys, ...roleKeys(root, role) });
      }
      let made: BenchCase | undefined;
      let lastError: unknown;
      for (const keys of candidates) {
        try {
          made = makeCase(name, role, bytes, keys);
          break;
        } catch (err) {
          lastError = err;
        }
      }
      if (!made) throw new Error(`bench: ${name} verifies against no key set: ${(lastError as Error).message}`);
      cases.push(made);
    }
  }
  return cases;
}

function roleKeys(root: Root, role: string): { keyids: string[]; threshold: number } {
  const r = root.roles[role];
  if (!r) throw new Error(`bench: root has no ${role} role`);
  return { keyids: r.keyids, threshold: r.threshold };
}
