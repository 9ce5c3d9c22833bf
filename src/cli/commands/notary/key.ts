/**
 * `notary key list|generate|rotate|import|export|remove|passwd`
 * (`N:cmd/notary/keys.go`, `N:trustmanager/keys.go`) over the trust directory's
 * private keys (`<trust dir>/private/<key id>.key`, shared with notary and docker).
 */
import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { rootRoleChange } from '../../../app/client/notary-change.js';
import { generateKey } from '../../../app/generate-key.js';
import { unlockWithPassphrase } from '../../../adapters/passphrase.js';
import { decodePemBlocks, encodePem, type PemBlock } from '../../../core/encoding.js';
import { createRootCertificate, ROOT_CERTIFICATE_VALIDITY_MS } from '../../../core/keys/certificate.js';
import { decodePrivateKeyFile, encodePrivateKeyFile, readKeyFileHeaders } from '../../../core/keys/key-file.js';
import { PublicKey } from '../../../core/keys/public-key.js';
import { isBaseRole } from '../../../core/tuf/roles.js';
import type { CommandSpec } from './cobra.js';
import { FatalError } from './cobra.js';
import type { HostEnvironment } from './context.js';
import { notaryErrorText, notaryTable } from './output.js';
import { askConfirm, publishChanges, usageError, withContext, type CommandRun } from './publish.js';
import { fsError } from './repo.js';

const MAX_GUN_WIDTH = 25;
const MAX_LOC_WIDTH = 40;
const DEFAULT_IMPORT_ROLE = 'delegation';
const SAFE_KEY_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

export function keyCommand(host: HostEnvironment): CommandSpec {
  return {
    use: 'key',
    short: 'Operates on keys.',
    long: 'Operations on private keys.',
    commands: [
      {
        use: 'list',
        short: 'Lists keys.',
        long: 'Lists all keys known to notary.',
        run: (inv) => {
          if (inv.args.length > 0) throw usageError(inv, '');
          return withContext(inv, host, list);
        },
      },
      {
        use: 'generate [ algorithm ]',
        short: 'Generates a new key with a given algorithm.',
        long: 'Generates a new key with a given algorithm. If hardware key storage (e.g. a Yubikey) is available, generated root keys will be stored both on hardware and on disk (so that it can be backed up).  Please make sure to back up and then remove this on-key disk immediatelyafterwards. If a `--output` file name is provided, two files will be written, <output>.pem and <output>-key.pem, containing the publicand private keys respectively (the key will not be stored in Notary\'s key storage, including any connected hardware storage). If no `--role` is provided, "root" will be assumed.',
        flags: [
          { name: 'output', short: 'o', kind: 'string', usage: 'Filepath to write export output to' },
          { name: 'role', short: 'r', kind: 'string', usage: 'Role to generate key with, defaulting to "root".', def: 'root' },
        ],
        run: (inv) => {
          if (inv.args.length > 1) throw usageError(inv, 'Please provide only one Algorithm as an argument to generate (rsa, ecdsa)');
          const algorithm = (inv.args[0] ?? 'ecdsa').toLowerCase();
          if (algorithm !== 'ecdsa') throw new FatalError('Algorithm not allowed, possible values are: ECDSA');
          return withContext(inv, host, (r) => generate(r, host));
        },
      },
      {
        use: 'remove [ keyID ]',
        short: 'Removes the key with the given keyID.',
        long: 'Removes the key with the given keyID.  If the key is stored in more than one location, you will be asked which one to remove.',
        run: (inv) => {
          if (inv.args.length < 1) throw usageError(inv, 'must specify the key ID of the key to remove');
          return withContext(inv, host, (r) => remove(r, host));
        },
      },
      {
        use: 'passwd [ keyID ]',
        short: 'Changes the passphrase for the key with the given keyID.',
        long: 'Changes the passphrase for the key with the given keyID.  Will require validation of the old passphrase.',
        run: (inv) => {
          if (inv.args.length < 1) throw usageError(inv, 'must specify the key ID of the key to change the passphrase of');
          return withContext(inv, host, passwd);
        },
      },
      {
        use: 'rotate [ GUN ] [ key role ]',
        short: 'Rotate a signing (non-root) key of the given type for the given Globally Unique Name and role.',
        long: 'Generates a new key for the given Globally Unique Name and role (one of "snapshot", "targets", "root", or "timestamp").  If rotating to a server-managed key, a new key is requested from the server rather than generated.  If the generation or key request is successful, the key rotation is immediately published.  No other changes, even if they are staged, will be published.',
        flags: [
          {
            name: 'server-managed',
            short: 'r',
            kind: 'bool',
            usage:
              'Signing and key management will be handled by the remote server (no key will be generated or stored locally). Required for timestamp role, optional for snapshot role',
          },
          { name: 'legacy', short: 'l', kind: 'int', usage: "Number of old version's root roles to sign with to support old clients" },
          { name: 'key', short: 'k', kind: 'strings', usage: 'New key(s) to rotate to. If not specified, one will be generated.' },
        ],
        run: (inv) => {
          if (inv.args.length < 2) throw usageError(inv, 'Must specify a GUN and a key role to rotate');
          return withContext(inv, host, (r) => rotate(r, host));
        },
      },
      {
        use: 'import pemfile [ pemfile ... ]',
        short: 'Imports all keys from all provided .pem files',
        long: 'Imports all keys from all provided .pem files by reading each PEM block from the file and writing that block to a unique object in the local keystore. A Yubikey will be the preferred import location for root keys if present.',
        flags: [
          { name: 'role', short: 'r', kind: 'string', usage: 'Role to import key with, if a role is not already given in a PEM header' },
          { name: 'gun', short: 'g', kind: 'string', usage: 'Gun to import key with, if a gun is not already given in a PEM header' },
        ],
        run: (inv) => {
          if (inv.args.length < 1) throw usageError(inv, 'must specify at least one input file to import keys from');
          return withContext(inv, host, (r) => importKeys(r, host));
        },
      },
      {
        use: 'export',
        short: 'Exports all keys from all local keystores. Can be filtered using the --key and --gun flags.',
        long: 'Exports all keys from all local keystores. Which keys are exported can be restricted by using the --key or --gun flags. By default the result is sent to stdout, it can be directed to a file with the -o flag. Keys stored in a Yubikey cannot be exported.',
        flags: [
          { name: 'gun', kind: 'strings', usage: 'GUNs for which to export keys' },
          { name: 'key', kind: 'strings', usage: 'Key IDs to export' },
          { name: 'output', short: 'o', kind: 'string', usage: 'Filepath to write export output to' },
        ],
        run: (inv) => {
          if (inv.args.length > 0) throw usageError(inv, 'export does not take any positional arguments');
          return withContext(inv, host, (r) => exportKeys(r, host));
        },
      },
    ],
  };
}

function truncateLeft(s: string, max: number): string {
  return s.length <= max ? s : `...${s.slice(s.length - (max - 3))}`;
}

async function list(r: CommandRun): Promise<void> {
  const location = r.ctx.keyStore.privateDir;
  const keys = (await r.ctx.keyStore.list()).map((k) => ({ role: k.role, gun: k.gun ?? '', keyId: k.keyId, location }));
  keys.sort((a, b) => {
    if (a.role !== b.role) {
      if (a.role === 'root') return -1;
      if (b.role === 'root') return 1;
    }
    for (const f of ['gun', 'role', 'keyId', 'location'] as const) {
      if (a[f] < b[f]) return -1;
      if (a[f] > b[f]) return 1;
    }
    return 0;
  });
  r.report.set('keys', keys);
  r.report.text('\n');
  if (keys.length === 0) r.report.text('No signing keys found.\n');
  else {
    r.report.text(
      notaryTable(
        ['ROLE', 'GUN', 'KEY ID', 'LOCATION'],
        keys.map((k) => [k.role, truncateLeft(k.gun, MAX_GUN_WIDTH), k.keyId, truncateLeft(k.location, MAX_LOC_WIDTH)]),
      ),
    );
  }
  r.report.text('\n');
}

async function generate(r: CommandRun, host: HostEnvironment): Promise<void> {
  const role = r.inv.flags.string('role');
  const out = r.inv.flags.string('output');
  if (out === '') {
    let generated;
    try {
      generated = await generateKey(r.ctx.keyStore, r.ctx.passphrases(), { role });
    } catch (err) {
      throw new FatalError(`Failed to create a new ${role} key: ${notaryErrorText(err)}`);
    }
    r.report.set('generated', { role, keyId: generated.keyId });
    r.report.text(`Generated new ecdsa ${role} key with keyID: ${generated.keyId}\n`);
    return;
  }
  // two files, nothing stored in the trust directory
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const pub = PublicKey.fromKeyObject(publicKey);
  let passphrase: string;
  try {
    passphrase = await r.ctx.passphrases().get({ role: '', keyId: pub.id, isNew: true });
  } catch {
    throw new FatalError('maximum number of passphrase attempts exceeded');
  }
  if (passphrase === '') throw new FatalError('no password provided');
  const privPem = encodePrivateKeyFile({ privateKey, role, passphrase });
  const pubPem = encodePem({ type: 'PUBLIC KEY', headers: { role }, bytes: pub.publicBytes });
  await writeFileMode(resolve(host.cwd, `${out}-key.pem`), privPem);
  await writeFileMode(resolve(host.cwd, `${out}.pem`), pubPem);
  r.report.set('generated', { role, keyId: pub.id, publicKeyFile: `${out}.pem`, privateKeyFile: `${out}-key.pem` });
}

async function writeFileMode(path: string, text: string): Promise<void> {
  const handle = await open(path, 'w', 0o600);
  try {
    await handle.writeFile(text);
  } finally {
    await handle.close();
  }
}

/** notary readKey: a private key file for a role (a root key must be encrypted) */
async function readKeyFile(r: CommandRun, role: string, file: string): Promise<KeyObject> {
  let pem: string;
  try {
    pem = await readFile(file, 'utf8');
  } catch (err) {
    throw new FatalError(`Error reading input root key file: ${fsError(err, file)}`);
  }
  let encrypted: boolean;
  try {
    encrypted = readKeyFileHeaders(pem).encrypted;
  } catch {
    throw new FatalError('no valid private key found');
  }
  if (!encrypted && role === 'root') throw new FatalError('only encrypted root keys may be imported');
  const decoded = await unlockWithPassphrase(r.ctx.passphrases(), { role: 'root', keyId: '' }, (pass) => decodePrivateKeyFile(pem, pass));
  return decoded.privateKey;
}

async function rotate(r: CommandRun, host: HostEnvironment): Promise<void> {
  const { inv, ctx, report } = r;
  const [gun, role] = inv.args as [string, string];
  report.set('gun', gun);
  const serverManaged = inv.flags.bool('server-managed');
  const repo = await ctx.repository(gun);
  const keyIds: string[] = [];
  for (const file of inv.flags.strings('key') ?? []) {
    const privateKey = await readKeyFile(r, role, resolve(host.cwd, file));
    const pub = PublicKey.fromKeyObject(createPublicKey(privateKey));
    let passphrase: string;
    try {
      passphrase = await ctx.passphrases().get({ role, keyId: pub.id, isNew: true, gun });
    } catch {
      throw new FatalError('Error importing key: maximum number of passphrase attempts exceeded');
    }
    keyIds.push(await ctx.keyStore.save({ privateKey, role, passphrase, gun }));
  }
  if (role === 'root') {
    report.text(
      'Warning: you are about to rotate your root key.\n\nYou must use your old key to sign this root rotation.\nAre you sure you want to proceed?  (yes/no)  ',
    );
    if (!(await askConfirm(host))) {
      report.text('\nAborting action.\n');
      return;
    }
  }
  // notary checkRotationInput
  const canBeRemote = role === 'timestamp' || role === 'snapshot';
  const canBeLocal = role === 'snapshot' || role === 'targets' || role === 'root';
  if (!isBaseRole(role)) throw new FatalError(`notary does not currently permit rotating the ${role} key`);
  if (serverManaged && !canBeRemote) throw new FatalError(`notary does not permit the server managing the ${role} key`);
  if (!serverManaged && !canBeLocal) throw new FatalError(`notary does not permit the client managing the ${role} key`);

  let keys: PublicKey[];
  if (serverManaged) {
    if (!repo.remote) throw new FatalError('unable to rotate remote key: client is offline');
    try {
      keys = [await repo.remote.rotateKey(role as 'timestamp' | 'snapshot')];
    } catch (err) {
      throw new FatalError(`unable to rotate remote key: ${notaryErrorText(err)}`);
    }
  } else {
    const ring = ctx.keyRing();
    const privateKeys: Array<{ id: string; key: KeyObject; role: string }> = [];
    if (keyIds.length === 0) {
      let generated;
      try {
        generated = await ring.generate(role, gun);
      } catch (err) {
        throw new FatalError(`unable to generate key: ${notaryErrorText(err)}`);
      }
      privateKeys.push({ id: generated.keyId, key: generated.privateKey, role });
    } else {
      for (const id of keyIds) {
        const key = await ring.unlock(id);
        if (!key) throw new FatalError(`unable to find key: ${id}`);
        privateKeys.push({ id, key, role: (await ctx.keyStore.info(id))?.role ?? role });
      }
    }
    keys = privateKeys.map((p) => {
      if (role !== 'root') return PublicKey.fromKeyObject(createPublicKey(p.key));
      if (p.role !== 'root') throw new FatalError(`attempted to load root key but given ${p.role} key instead`);
      const now = new Date();
      const pem = createRootCertificate({
        privateKey: p.key,
        gun,
        notBefore: now,
        notAfter: new Date(now.getTime() + ROOT_CERTIFICATE_VALIDITY_MS),
        serial: randomBytes(16),
      });
      return PublicKey.fromCertificatePem(pem);
    });
  }
  await publishChanges(r, repo, [rootRoleChange(role, keys)]);
  report.text(`Successfully rotated ${role} key for repository ${gun}\n`);
  report.set('rotated', { role, keyIds: keys.map((k) => k.canonicalId), serverManaged });
}

async function remove(r: CommandRun, host: HostEnvironment): Promise<void> {
  const keyId = r.inv.args[0] as string;
  if (keyId.length !== 64) throw new FatalError(`invalid key ID provided: ${keyId}`);
  r.report.text('\n');
  const info = /^[0-9a-fA-F]+$/.test(keyId) ? await r.ctx.keyStore.info(keyId) : undefined;
  if (!info) {
    r.report.text('\n');
    throw new FatalError(`No key with ID ${keyId} found`);
  }
  const description = `${keyId} (role ${info.role}) from ${r.ctx.keyStore.privateDir}`;
  r.report.text(`Are you sure you want to remove ${description}?  (yes/no)  `);
  if (!(await askConfirm(host))) {
    r.report.text('\nAborting action.\n');
    r.report.text('\n');
    r.report.set('removed', false);
    return;
  }
  await r.ctx.keyStore.remove(keyId);
  r.report.text(`\nDeleted ${description}.\n`);
  r.report.text('\n');
  r.report.set('removed', { keyId, role: info.role });
}

async function passwd(r: CommandRun): Promise<void> {
  const keyId = r.inv.args[0] as string;
  if (keyId.length !== 64) throw new FatalError(`invalid key ID provided: ${keyId}`);
  const store = r.ctx.keyStore;
  const info = /^[0-9a-fA-F]+$/.test(keyId) ? await store.info(keyId) : undefined;
  if (!info) throw new FatalError(`could not retrieve local key for key ID provided: ${keyId}`);
  let loaded;
  try {
    loaded = await unlockWithPassphrase(r.ctx.passphrases(), { role: info.role, keyId, ...(info.gun ? { gun: info.gun } : {}) }, (pass) =>
      store.load(keyId, pass),
    );
  } catch {
    throw new FatalError(`could not retrieve local key for key ID provided: ${keyId}`);
  }
  const passphrase = await r.ctx.passphrases().get({ role: info.role, keyId, isNew: true, ...(info.gun ? { gun: info.gun } : {}) });
  await store.save({ privateKey: loaded.privateKey, role: info.role, passphrase, ...(info.gun ? { gun: info.gun } : {}) });
  r.report.text(`\nSuccessfully updated passphrase for key ID: ${keyId}\n`);
  r.report.set('updated', keyId);
}

// ---------------------------------------------------------------------------
// import / export (notary trustmanager ImportKeys / ExportKeys)
// ---------------------------------------------------------------------------

async function importKeys(r: CommandRun, host: HostEnvironment): Promise<void> {
  const fallbackRole = r.inv.flags.string('role');
  const fallbackGun = r.inv.flags.string('gun');
  const imported: Array<{ keyId: string; role: string }> = [];
  for (const file of r.inv.args) {
    let text: string;
    try {
      text = await readFile(resolve(host.cwd, file), 'utf8');
    } catch (err) {
      throw new FatalError(fsError(err, file));
    }
    let blocks: PemBlock[];
    try {
      blocks = decodePemBlocks(text);
    } catch {
      blocks = [];
    }
    let writeTo = '';
    let toWrite: string[] = [];
    const errors: string[] = [];
    const flush = async () => {
      if (toWrite.length > 0) await writeKeyFile(r, writeTo, toWrite.join(''));
      toWrite = [];
    };
    for (const block of blocks) {
      const headers = { ...block.headers };
      // a legacy path (`tuf_keys/<gun>/<id>_<role>`) names the gun
      const rawPath = headers['path'] ?? '';
      if (rawPath !== '' && rawPath.includes('/')) {
        const dir = rawPath.slice(0, rawPath.lastIndexOf('/'));
        if (dir.startsWith('tuf_keys')) {
          const gun = dir.slice('tuf_keys'.length).replace(/^\/+|\/+$/g, '');
          if (gun !== '') headers['gun'] = gun;
        }
        headers['path'] = rawPath.slice(rawPath.lastIndexOf('/') + 1);
      }
      if (!headers['gun'] && fallbackGun !== '') headers['gun'] = fallbackGun;
      if (!headers['role']) headers['role'] = fallbackRole !== '' ? fallbackRole : DEFAULT_IMPORT_ROLE;
      const role = headers['role'] as string;
      if (role === 'snapshot' || role === 'targets' || role === 'timestamp') {
        if (!headers['gun']) {
          r.ctx.log.warn(
            `failed to import key (${headers['path'] ?? ''}) to store: Cannot have canonical role key without a gun, don't know what gun it belongs to`,
          );
          errors.push('invalid key pem block');
          continue;
        }
      } else {
        delete headers['gun'];
      }
      const pemOf = (h: Record<string, string>) => encodePem({ type: block.type, headers: h, bytes: block.bytes });
      let decoded: ReturnType<typeof decodePrivateKeyFile> | undefined;
      try {
        decoded = decodePrivateKeyFile(pemOf(headers), undefined);
      } catch {
        decoded = undefined;
      }
      let loc = headers['path'];
      if (!loc) {
        if (!decoded) {
          r.ctx.log.warn('failed to import key to store: Invalid key generated, key may be encrypted and does not contain path header');
          errors.push('invalid key pem block');
          continue;
        }
        loc = decoded.publicKey.id;
      }
      delete headers['path'];
      let bytes: string;
      if (decoded && !decoded.encrypted) {
        let passphrase: string;
        try {
          passphrase = await r.ctx.passphrases().get({ role, keyId: loc, isNew: true, ...(headers['gun'] ? { gun: headers['gun'] } : {}) });
        } catch {
          throw new FatalError('maximum number of passphrase attempts exceeded');
        }
        bytes = encodePrivateKeyFile({
          privateKey: decoded.privateKey,
          role,
          passphrase,
          ...(headers['gun'] ? { gun: headers['gun'] } : {}),
        });
      } else {
        bytes = pemOf(headers);
      }
      if (loc !== writeTo) {
        await flush();
        writeTo = loc;
      }
      toWrite.push(bytes);
      imported.push({ keyId: loc, role });
    }
    if (toWrite.length > 0) await flush();
    else if (errors.length > 0) throw new FatalError(`failed to import all keys: ${errors.join(', ')}`);
  }
  r.report.set('imported', imported);
}

async function writeKeyFile(r: CommandRun, name: string, text: string): Promise<void> {
  if (!SAFE_KEY_NAME.test(name)) throw new FatalError(`failed to import key to store: invalid key file name ${JSON.stringify(name)}`);
  const dir = r.ctx.keyStore.privateDir;
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const target = join(dir, `${name}.key`);
  const temp = join(dir, `.${name}.${randomBytes(6).toString('hex')}.tmp`);
  await writeFileMode(temp, text);
  await rename(temp, target).catch(async (err) => {
    await rm(temp, { force: true });
    throw err;
  });
}

async function exportKeys(r: CommandRun, host: HostEnvironment): Promise<void> {
  const guns = r.inv.flags.strings('gun') ?? [];
  const ids = r.inv.flags.strings('key') ?? [];
  if (guns.length > 0 && ids.length > 0) throw new FatalError('Only the --gun or --key flag may be provided, not a mix of the two flags');
  const files = (await r.ctx.keyStore.list()).map((k) => ({
    rel: k.path.slice(r.ctx.keyStore.privateDir.length + 1).replace(/\.key$/, ''),
    path: k.path,
    keyId: k.keyId,
  }));
  files.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
  let out = '';
  const exported: string[] = [];
  for (const f of files) {
    const text = await readFile(f.path, 'utf8');
    const blocks = decodePemBlocks(text);
    if (guns.length > 0 && (blocks[0]?.headers['gun'] ?? '') !== guns[0]) continue;
    if (ids.length > 0 && !ids.includes(f.rel.slice(f.rel.lastIndexOf('/') + 1))) continue;
    for (const b of blocks) out += encodePem({ ...b, headers: { ...b.headers, path: f.rel } });
    exported.push(f.keyId);
  }
  const output = r.inv.flags.string('output');
  if (output !== '') await writeFileMode(resolve(host.cwd, output), out);
  else if (!r.report.json) r.inv.io.out(out);
  r.report.set('exported', exported);
}
