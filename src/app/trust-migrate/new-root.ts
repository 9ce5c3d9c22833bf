/**
 * The root a repository gets at the destination under `dct trust migrate --new-root`:
 * version 1 of a new chain (a server takes a first root at version 1 or 2 only, and a
 * client that trusted the old root refuses any root its root did not sign, whatever its
 * version), signed by a new root key whose certificate is made for the GUN as `notary
 * init` makes it. It lists the repository's targets keys as they are, so `targets.json`
 * and every delegation stay valid byte for byte without the targets key, and the
 * destination's timestamp key, and the destination's snapshot key unless the client
 * holds the repository's own (then it keeps it and signs the snapshot, continuing the
 * source's snapshot version).
 */
import { randomBytes, type KeyObject } from 'node:crypto';
import { createRootCertificate, ROOT_CERTIFICATE_VALIDITY_MS } from '../../core/keys/certificate.js';
import { PublicKey } from '../../core/keys/public-key.js';
import { KeySigner } from '../../core/keys/signer.js';
import type { KeyRing, RemoteRepository, RoleFile } from '../../core/ports.js';
import type { TrustedSet } from '../../core/trust/trusted-set.js';
import { defaultExpires } from '../../core/tuf/common.js';
import { getOwn, setOwn } from '../../core/tuf/json-reader.js';
import { Metadata } from '../../core/tuf/metadata.js';
import { Root, type RoleKeys } from '../../core/tuf/root.js';
import { holdsKeyOf, signClientSnapshot } from './client-snapshot.js';

export interface NewRootFiles {
  /** root, the targets roles as given, and the client's snapshot when it holds the key */
  files: RoleFile[];
  /** the root key's ID in root.json (its certificate's): what trust pinning names */
  rootKeyId: string;
  /** the roles whose keys are now the destination's */
  rotated: string[];
}

function roleKeys(root: Root, role: string): { spec: RoleKeys; keys: PublicKey[] } {
  const spec = root.roles[role] ?? { keyids: [], threshold: 1 };
  return { spec, keys: spec.keyids.map((id) => getOwn(root.keys, id)).filter((k): k is PublicKey => k !== undefined) };
}

export async function newRootFiles(
  gun: string,
  source: TrustedSet,
  targetsFiles: readonly RoleFile[],
  p: { rootKey: KeyObject; destination: RemoteRepository; keyRing: KeyRing; now: Date },
): Promise<NewRootFiles> {
  const old = source.root.signed;
  const certificate = createRootCertificate({
    privateKey: p.rootKey,
    gun,
    notBefore: p.now,
    notAfter: new Date(p.now.getTime() + ROOT_CERTIFICATE_VALIDITY_MS),
    serial: randomBytes(16),
  });
  const rootKey = PublicKey.fromCertificatePem(certificate);
  const targets = roleKeys(old, 'targets');
  const oldSnapshot = roleKeys(old, 'snapshot');
  const clientSnapshot = await holdsKeyOf(p.keyRing, oldSnapshot.keys);
  const snapshot = clientSnapshot ? oldSnapshot : { spec: undefined, keys: [await p.destination.getKey('snapshot')] };
  const timestamp = await p.destination.getKey('timestamp');
  const keys: Record<string, PublicKey> = {};
  for (const k of [rootKey, ...targets.keys, ...snapshot.keys, timestamp]) setOwn(keys, k.id, k);
  const root = new Root(1, defaultExpires('root', p.now), keys, {
    root: { keyids: [rootKey.id], threshold: 1 },
    snapshot: snapshot.spec ?? { keyids: snapshot.keys.map((k) => k.id), threshold: 1 },
    targets: { keyids: [...targets.spec.keyids], threshold: targets.spec.threshold },
    timestamp: { keyids: [timestamp.id], threshold: 1 },
  });
  root.assertValidStructure();
  const rootFile = { role: 'root', bytes: (await new Metadata(root, []).sign([new KeySigner(p.rootKey, rootKey)])).serialize() };
  const files: RoleFile[] = [rootFile, ...targetsFiles];
  if (clientSnapshot) {
    files.push(
      await signClientSnapshot({
        keys: oldSnapshot.keys,
        threshold: oldSnapshot.spec.threshold,
        previousVersion: source.snapshot?.signed.version ?? 0,
        previousMeta: {},
        files,
        keyRing: p.keyRing,
        now: p.now,
      }),
    );
  }
  return { files, rootKeyId: rootKey.id, rotated: clientSnapshot ? ['timestamp'] : ['timestamp', 'snapshot'] };
}
