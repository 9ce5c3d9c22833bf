/**
 * The repository commands of the notary CLI (`N:cmd/notary/tuf.go`): init, add,
 * addhash, remove, publish, list, lookup, verify, status, reset, witness, delete,
 * with notary's arguments, outputs, error texts and order of checks.
 */
import { createHash, timingSafeEqual, X509Certificate } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { addTargetChanges, removeTargetChanges, witnessChange } from '../../../app/client/notary-change.js';
import { byteOrder, goCompactJson } from '../../../app/client/change-content-json.js';
import { decodePemBlocks, encodePem, hexOfBase64All } from '../../../core/encoding.js';
import { certificateCommonName } from '../../../core/keys/certificate.js';
import { PublicKey } from '../../../core/keys/public-key.js';
import { decodePrivateKeyFile, readKeyFileHeaders } from '../../../core/keys/key-file.js';
import { fileMetaOf, type FileMeta } from '../../../core/tuf/file-meta.js';
import type { CommandSpec, FlagSpec, Invocation } from './cobra.js';
import { FatalError } from './cobra.js';
import type { HostEnvironment } from './context.js';
import { notaryErrorText, notaryTable } from './output.js';
import { maybeAutoPublish, publishStaged, readAll, stage, usageError, withContext, type CommandRun } from './publish.js';
import { unlockWithPassphrase } from '../../../adapters/passphrase.js';
import type { TrustRepository } from '../../../app/client/trust-repository.js';

export const AUTO_PUBLISH_HELP = 'Automatically attempt to publish after staging the change. Will also publish existing staged changes.';
const publishFlag: FlagSpec = { name: 'publish', short: 'p', kind: 'bool', usage: AUTO_PUBLISH_HELP };

export function repositoryCommands(host: HostEnvironment): CommandSpec[] {
  const run = (body: (r: CommandRun) => Promise<void>) => (inv: Invocation) => withContext(inv, host, body);
  return [
    {
      use: 'init [ GUN ]',
      short: 'Initializes a local trusted collection.',
      long: 'Initializes a local trusted collection identified by the Globally Unique Name. This is an online operation.',
      flags: [
        { name: 'rootkey', kind: 'string', usage: 'Root key to initialize the repository with' },
        {
          name: 'rootcert',
          kind: 'string',
          usage: 'Root certificate must match root key if a root key is supplied, otherwise it must match a key present in keystore',
        },
        publishFlag,
      ],
      run: (inv) => {
        if (inv.args.length < 1) throw usageError(inv, 'Must specify a GUN');
        return withContext(inv, host, (r) => init(r, host));
      },
    },
    {
      use: 'status [ GUN ]',
      short: 'Displays status of unpublished changes to the local trusted collection.',
      long: 'Displays status of unpublished changes to the local trusted collection identified by the Globally Unique Name.',
      run: (inv) => {
        if (inv.args.length < 1) throw usageError(inv, 'Must specify a GUN');
        return run(status)(inv);
      },
    },
    {
      use: 'reset [ GUN ]',
      short: 'Resets unpublished changes for the local trusted collection.',
      long: 'Resets unpublished changes for the local trusted collection identified by the Globally Unique Name.',
      flags: [
        { name: 'number', short: 'n', kind: 'ints', usage: 'Numbers of specific changes to exclusively reset, as shown in status list' },
        { name: 'all', kind: 'bool', usage: 'Reset all changes shown in the status list' },
      ],
      run: (inv) => {
        if (inv.args.length < 1) throw usageError(inv, 'Must specify a GUN');
        if (!inv.flags.bool('all') && (inv.flags.ints('number') ?? []).length < 1)
          throw usageError(inv, 'Must specify changes to reset with -n or the --all flag');
        return run(reset)(inv);
      },
    },
    {
      use: 'publish [ GUN ]',
      short: 'Publishes the local trusted collection.',
      long: 'Publishes the local trusted collection identified by the Globally Unique Name, sending the local changes to a remote trusted server.',
      run: (inv) => {
        if (inv.args.length < 1) throw usageError(inv, 'Must specify a GUN');
        return run(publish)(inv);
      },
    },
    {
      use: 'lookup [ GUN ] <target>',
      short: 'Looks up a specific target in a remote trusted collection.',
      long: 'Looks up a specific target in a remote trusted collection identified by the Globally Unique Name.',
      run: (inv) => {
        if (inv.args.length < 2) throw usageError(inv, 'Must specify a GUN and target');
        return run(lookup)(inv);
      },
    },
    {
      use: 'list [ GUN ]',
      short: 'Lists targets for a remote trusted collection.',
      long: 'Lists all targets for a remote trusted collection identified by the Globally Unique Name. This is an online operation.',
      flags: [{ name: 'roles', short: 'r', kind: 'strings', usage: 'Delegation roles to list targets for (will shadow targets role)' }],
      run: (inv) => {
        if (inv.args.length < 1) throw usageError(inv, 'Must specify a GUN');
        return run(list)(inv);
      },
    },
    {
      use: 'add [ GUN ] <target> <file>',
      short: 'Adds the file as a target to the trusted collection.',
      long: 'Adds the file as a target to the local trusted collection identified by the Globally Unique Name. This is an offline operation.  Please then use `publish` to push the changes to the remote trusted collection.',
      flags: [
        { name: 'roles', short: 'r', kind: 'strings', usage: 'Delegation roles to add this target to' },
        publishFlag,
        { name: 'custom', kind: 'string', usage: 'Path to the file containing custom data for this target' },
      ],
      run: (inv) => {
        if (inv.args.length < 3) throw usageError(inv, 'Must specify a GUN, target, and path to target data');
        return run(add)(inv);
      },
    },
    {
      use: 'remove [ GUN ] <target>',
      short: 'Removes a target from a trusted collection.',
      long: 'Removes a target from the local trusted collection identified by the Globally Unique Name. This is an offline operation.  Please then use `publish` to push the changes to the remote trusted collection.',
      flags: [{ name: 'roles', short: 'r', kind: 'strings', usage: 'Delegation roles to remove this target from' }, publishFlag],
      run: (inv) => {
        if (inv.args.length < 2) throw new FatalError('Must specify a GUN and target');
        return run(remove)(inv);
      },
    },
    {
      use: 'addhash [ GUN ] <target> <byte size> <hashes>',
      short: 'Adds the byte size and hash(es) as a target to the trusted collection.',
      long: 'Adds the specified byte size and hash(es) as a target to the local trusted collection identified by the Globally Unique Name. This is an offline operation.  Please then use `publish` to push the changes to the remote trusted collection.',
      flags: [
        { name: 'roles', short: 'r', kind: 'strings', usage: 'Delegation roles to add this target to' },
        { name: 'sha256', kind: 'string', usage: 'hex encoded sha256 of the target to add' },
        { name: 'sha512', kind: 'string', usage: 'hex encoded sha512 of the target to add' },
        publishFlag,
        { name: 'custom', kind: 'string', usage: 'Path to the file containing custom data for this target' },
      ],
      run: (inv) => {
        if (inv.args.length < 3 || (inv.flags.string('sha256') === '' && inv.flags.string('sha512') === '')) {
          throw usageError(inv, 'Must specify a GUN, target, byte size of target data, and at least one hash');
        }
        return run(addHash)(inv);
      },
    },
    {
      use: 'verify [ GUN ] <target>',
      short: 'Verifies if the content is included in the remote trusted collection',
      long: 'Verifies if the data passed in STDIN is included in the remote trusted collection identified by the Globally Unique Name.',
      flags: [
        { name: 'input', short: 'i', kind: 'string', usage: 'Read from a file, instead of STDIN' },
        { name: 'output', short: 'o', kind: 'string', usage: 'Write to a file, instead of STDOUT' },
        { name: 'quiet', short: 'q', kind: 'bool', usage: 'No output except for errors' },
      ],
      run: (inv) => {
        if (inv.args.length < 2) throw usageError(inv, 'Must specify a GUN and target');
        return withContext(inv, host, (r) => verify(r, host));
      },
    },
    {
      use: 'witness [ GUN ] <role> ...',
      short: "Marks roles to be re-signed the next time they're published",
      long: "Marks roles to be re-signed the next time they're published. Currently will always bump version and expiry for role. N.B. behaviour may change when thresholding is introduced.",
      flags: [publishFlag],
      run: (inv) => {
        if (inv.args.length < 2) throw usageError(inv, 'Please provide a GUN and at least one role to witness');
        return run(witness)(inv);
      },
    },
    {
      use: 'delete [ GUN ]',
      short: 'Deletes all content for a trusted collection',
      long: 'Deletes all local content for a trusted collection identified by the Globally Unique Name. Remote data can also be deleted with an additional flag.',
      flags: [{ name: 'remote', kind: 'bool', usage: 'Delete remote data for GUN in addition to local cache' }],
      run: (inv) => {
        if (inv.args.length < 1) throw usageError(inv, 'Must specify a GUN');
        return run(deleteGun)(inv);
      },
    },
  ];
}

function gunOf(r: CommandRun): string {
  const gun = r.inv.args[0] as string;
  r.report.set('gun', gun);
  return gun;
}

// ---------------------------------------------------------------------------

async function init(r: CommandRun, host: HostEnvironment): Promise<void> {
  const { ctx, inv, report } = r;
  const gun = gunOf(r);
  const repo = await ctx.repository(gun);
  let rootKeyIds: string[];
  const rootKeyFile = inv.flags.string('rootkey');
  if (rootKeyFile !== '') {
    rootKeyIds = [await importRootKey(r, resolve(host.cwd, rootKeyFile))];
  } else {
    rootKeyIds = (await ctx.keyStore.list()).filter((k) => k.role === 'root').map((k) => k.keyId);
  }
  if (rootKeyIds.length > 0) {
    report.text(`Root key found, using: ${rootKeyIds[0]}\n`);
    report.set('rootKeyId', rootKeyIds[0]);
  }
  const rootCertFile = inv.flags.string('rootcert');
  let rootCertificatePem: string | undefined;
  if (rootCertFile !== '') {
    const certificate = await readRootCert(resolve(host.cwd, rootCertFile), rootCertFile);
    rootCertificatePem = certificate.pem;
    const certKeyId = certificate.key.canonicalId;
    if (rootKeyFile !== '') {
      // notary InitializeWithCertificate: the imported key must be the certificate's
      if (rootKeyIds[0] !== certKeyId)
        throw new FatalError('could not obtain public key from IDs: private key is nil or does not match public key');
    } else {
      // otherwise the certificate picks its key among those held (none is generated)
      if (!rootKeyIds.includes(certKeyId))
        throw new FatalError('error initializing repository with certificate: cannot find matching private key id');
      rootKeyIds = [certKeyId];
    }
    const cn = certificateCommonName(certificate.x509) ?? '';
    if (new Date(certificate.x509.validTo).getTime() - Date.now() < NEAR_EXPIRY_MS)
      ctx.log.warn(`certificate with CN ${cn} is near expiry`);
  }
  await repo.initialize({
    serverManagedSnapshot: false,
    ...(rootKeyIds.length > 0 ? { rootKeyIds: [rootKeyIds[0] as string] } : {}),
    ...(rootCertificatePem !== undefined ? { rootCertificatePem } : {}),
  });
  report.set('initialized', true);
  await maybeAutoPublish(r, gun);
}

/** notary warns about root certificates that expire within six months */
const NEAR_EXPIRY_MS = 182 * 24 * 3600 * 1000;

/**
 * notary readRootCert: the first PEM block of the file, parsed as a certificate,
 * becomes the root key as notary writes it (the certificate's DER re-encoded as PEM).
 */
async function readRootCert(path: string, shown: string): Promise<{ pem: string; key: PublicKey; x509: X509Certificate }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new FatalError(`error reading certificate file: ${fsError(err, shown)}`);
  }
  const block = decodePemBlocks(text)[0];
  if (!block) throw new FatalError('the provided file does not contain a valid PEM certificate <nil>');
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(block.bytes);
  } catch {
    throw new FatalError('Parsing certificate PEM bytes to x509 certificate: x509: malformed certificate');
  }
  const pem = encodePem({ type: 'CERTIFICATE', headers: {}, bytes: x509.raw });
  try {
    return { pem, key: PublicKey.fromCertificatePem(pem), x509 };
  } catch (err) {
    throw new FatalError(`Parsing certificate PEM bytes to x509 certificate: ${(err as Error).message}`);
  }
}

/** notary importRootKey: an encrypted root key file, decrypted and stored */
async function importRootKey(r: CommandRun, file: string): Promise<string> {
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
  if (!encrypted) throw new FatalError('only encrypted root keys may be imported');
  const decoded = await unlockWithPassphrase(r.ctx.passphrases(), { role: 'root', keyId: '' }, (pass) => decodePrivateKeyFile(pem, pass));
  const passphrase = await r.ctx.passphrases().get({ role: 'root', keyId: decoded.publicKey.id, isNew: true });
  return r.ctx.keyStore.save({ privateKey: decoded.privateKey, role: 'root', passphrase });
}

async function status(r: CommandRun): Promise<void> {
  const gun = gunOf(r);
  const changes = await r.ctx.changelist(gun).list();
  r.report.set(
    'changes',
    changes.map((c, i) => ({ index: i, action: c.action, scope: c.scope, type: c.type, path: c.path })),
  );
  if (changes.length === 0) {
    r.report.text(`No unpublished changes for ${gun}\n`);
    return;
  }
  r.report.text(`Unpublished changes for ${gun}:\n\n`);
  r.report.text(
    notaryTable(
      ['#', 'ACTION', 'SCOPE', 'TYPE', 'PATH'],
      changes.map((c, i) => [String(i), c.action, c.scope, c.type, c.path]),
    ),
  );
}

async function reset(r: CommandRun): Promise<void> {
  const gun = gunOf(r);
  const cl = r.ctx.changelist(gun);
  if (r.inv.flags.bool('all')) await cl.clear();
  else await cl.remove(r.inv.flags.ints('number') ?? []);
  r.report.text(`Successfully reset specified changes for repository ${gun}\n`);
  r.report.set('reset', true);
}

async function publish(r: CommandRun): Promise<void> {
  const gun = gunOf(r);
  r.report.text(`Pushing changes to ${gun}\n`);
  const repo = await r.ctx.repository(gun);
  await publishStaged(r, repo);
  r.report.text(`Successfully published changes for repository ${gun}\n`);
  r.report.set('published', true);
}

async function readRepository(r: CommandRun, gun: string) {
  return readWith(r, await r.ctx.repository(gun));
}

async function readWith(r: CommandRun, repo: TrustRepository) {
  const { trusted, warnings } = await repo.read();
  for (const w of warnings) r.ctx.log.warn(w);
  return trusted;
}

async function list(r: CommandRun): Promise<void> {
  const gun = gunOf(r);
  const trusted = await readRepository(r, gun);
  const roles = r.inv.flags.strings('roles') ?? [];
  const targets = trusted.listTargetSummaries(roles.length > 0 ? roles : ['targets']).sort((a, b) => byteOrder(a.name, b.name));
  const digests = hexOfBase64All(targets.map((t) => t.sha256));
  const rows = targets.map((t, i) => ({ name: t.name, digest: digests[i] as string, size: t.length, role: t.role }));
  r.report.set('targets', rows);
  if (rows.length === 0) {
    r.report.text('\nNo targets present in this repository.\n\n');
    return;
  }
  r.report.text(
    notaryTable(
      ['NAME', 'DIGEST', 'SIZE (BYTES)', 'ROLE'],
      rows.map((t) => [t.name, t.digest, String(t.size), t.role]),
    ),
  );
}

async function lookup(r: CommandRun): Promise<void> {
  const gun = gunOf(r);
  const name = r.inv.args[1] as string;
  const trusted = await readRepository(r, gun);
  const found = trusted.findTarget(name, ['targets']);
  if (!found) throw new FatalError(`No valid trust data for ${name}`);
  const digest = found.meta.hashes['sha256']?.toString('hex') ?? '';
  r.report.set('target', { name, digest, size: found.meta.length, role: found.role });
  r.report.text(`${name} sha256:${digest} ${found.meta.length}\n`);
}

async function verify(r: CommandRun, host: HostEnvironment): Promise<void> {
  const { inv } = r;
  const input = inv.flags.string('input');
  let payload: Buffer;
  if (input !== '') {
    try {
      payload = await readFile(resolve(host.cwd, input));
    } catch (err) {
      throw new FatalError(fsError(err, input));
    }
  } else {
    payload = await readAll(host.stdin ?? process.stdin);
  }
  const gun = gunOf(r);
  const name = inv.args[1] as string;
  let found;
  const repo = await r.ctx.repository(gun);
  try {
    const trusted = await readWith(r, repo);
    found = trusted.findTarget(name, ['targets']);
    if (!found) throw new FatalError(`No valid trust data for ${name}`);
  } catch (err) {
    throw new FatalError(`error retrieving target by name:${name}, error:${notaryErrorText(err)}`);
  }
  const problem = checkHashes(payload, name, found.meta);
  if (problem) throw new FatalError(`data not present in the trusted collection, ${problem}`);
  r.report.set('verified', { name, role: found.role, size: payload.length });
  if (inv.flags.bool('quiet')) return;
  const output = inv.flags.string('output');
  if (output !== '') await writeFile(resolve(host.cwd, output), payload, { mode: 0o600 });
  else if (!r.report.json) {
    if (host.io.bytes) host.io.bytes(payload);
    else host.io.out(payload.toString('utf8'));
  }
}

/** notary data.CheckHashes */
function checkHashes(payload: Buffer, name: string, meta: FileMeta): string | undefined {
  let count = 0;
  for (const alg of ['sha256', 'sha512'] as const) {
    const want = meta.hashes[alg];
    if (!want) continue;
    const got = createHash(alg).update(payload).digest();
    if (got.length !== want.length || !timingSafeEqual(got, want))
      return `${alg} checksum for ${name} did not match: expected ${want.toString('hex')}`;
    count++;
  }
  return count === 0 ? `no checksums for supported algorithms were provided for ${name}` : undefined;
}

/** the custom file, as raw JSON (notary keeps it as a json.RawMessage) */
async function readCustom(r: CommandRun): Promise<Buffer | undefined> {
  const file = r.inv.flags.string('custom');
  if (file === '') return undefined;
  let bytes: Buffer;
  try {
    bytes = await readFile(resolve(r.ctx.host.cwd, file));
  } catch (err) {
    throw new FatalError(fsError(err, file));
  }
  try {
    goCompactJson(bytes.toString('utf8'));
  } catch (err) {
    throw new FatalError(`json: error calling MarshalJSON for type *json.RawMessage: ${(err as Error).message}`);
  }
  return bytes;
}

function withCustom(meta: FileMeta, custom: Buffer | undefined): FileMeta {
  if (!custom) return meta;
  return { ...meta, custom: JSON.parse(custom.toString('utf8')) as FileMeta['custom'] & object };
}

async function add(r: CommandRun): Promise<void> {
  const [gun, name, path] = r.inv.args as [string, string, string];
  r.report.set('gun', gun);
  const custom = await readCustom(r);
  let bytes: Buffer;
  try {
    bytes = await readFile(resolve(r.ctx.host.cwd, path));
  } catch (err) {
    throw new FatalError(fsError(err, path));
  }
  const meta = withCustom(fileMetaOf(bytes), custom);
  await stage(r.ctx, gun, addTargetChanges(name, meta, r.inv.flags.strings('roles') ?? [], custom));
  r.report.text(`Addition of target "${name}" to repository "${gun}" staged for next publish.\n`);
  r.report.set('staged', {
    action: 'add',
    target: name,
    digest: meta.hashes['sha256']?.toString('hex'),
    size: meta.length,
    roles: r.inv.flags.strings('roles') ?? ['targets'],
  });
  await maybeAutoPublish(r, gun);
}

async function addHash(r: CommandRun): Promise<void> {
  const [gun, name, size] = r.inv.args as [string, string, string];
  r.report.set('gun', gun);
  const custom = await readCustom(r);
  const length = parseGoInt64(size);
  const hashes: Record<string, Buffer> = {};
  for (const [alg, hexLen] of [
    ['sha256', 64],
    ['sha512', 128],
  ] as const) {
    const hex = r.inv.flags.string(alg);
    if (hex === '') continue;
    if (hex.length !== hexLen) throw new FatalError(`invalid ${alg} hex contents provided`);
    const bad = /[^0-9a-fA-F]/.exec(hex);
    if (bad)
      throw new FatalError(
        `encoding/hex: invalid byte: U+${bad[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')} ${goRuneQuote(bad[0])}`,
      );
    hashes[alg] = Buffer.from(hex, 'hex');
  }
  const meta = withCustom({ length, hashes }, custom);
  await stage(r.ctx, gun, addTargetChanges(name, meta, r.inv.flags.strings('roles') ?? [], custom));
  r.report.text(`Addition of target "${name}" by ${Object.keys(hashes).join(', ')} hash to repository "${gun}" staged for next publish.\n`);
  r.report.set('staged', {
    action: 'add',
    target: name,
    size: length,
    hashes: Object.keys(hashes),
    roles: r.inv.flags.strings('roles') ?? ['targets'],
  });
  await maybeAutoPublish(r, gun);
}

function goRuneQuote(c: string): string {
  return c === "'" ? "'\\''" : `'${c}'`;
}

/** strconv.ParseInt(s, 0, 64) */
function parseGoInt64(s: string): number {
  const m = /^([+-]?)(0[xX][0-9a-fA-F]+|0[bB][01]+|0[oO][0-7]+|0[0-7]*|[1-9][0-9]*)$/.exec(s.replace(/_/g, ''));
  if (!m) throw new FatalError(`strconv.ParseInt: parsing ${JSON.stringify(s)}: invalid syntax`);
  const body = m[2] as string;
  let v: bigint;
  if (/^0[xXbBoO]/.test(body)) v = BigInt(body.toLowerCase().replace(/^0o/, '0o'));
  else if (body.length > 1 && body.startsWith('0')) v = BigInt(`0o${body.slice(1)}`);
  else v = BigInt(body);
  if (m[1] === '-') v = -v;
  if (v > 9223372036854775807n || v < -9223372036854775808n)
    throw new FatalError(`strconv.ParseInt: parsing ${JSON.stringify(s)}: value out of range`);
  if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < 0n) throw new FatalError(`target size ${s} is not supported (0 to 2^53-1 bytes)`);
  return Number(v);
}

async function remove(r: CommandRun): Promise<void> {
  const [gun, name] = r.inv.args as [string, string];
  r.report.set('gun', gun);
  await stage(r.ctx, gun, removeTargetChanges(name, r.inv.flags.strings('roles') ?? []));
  r.report.text(`Removal of ${name} from ${gun} staged for next publish.\n`);
  r.report.set('staged', { action: 'remove', target: name, roles: r.inv.flags.strings('roles') ?? ['targets'] });
  await maybeAutoPublish(r, gun);
}

async function witness(r: CommandRun): Promise<void> {
  const [gun, ...roles] = r.inv.args as [string, ...string[]];
  r.report.set('gun', gun);
  const cl = r.ctx.changelist(gun);
  const done: string[] = [];
  for (const role of roles) {
    try {
      await cl.add(witnessChange(role));
    } catch (err) {
      r.report.text(`Some roles have failed to be marked for witnessing: ${(err as Error).message}`);
      break;
    }
    done.push(role);
  }
  r.report.text(`The following roles were successfully marked for witnessing on the next publish:\n\t- ${done.join('\n\t- ')}\n`);
  r.report.set('witnessed', done);
  await maybeAutoPublish(r, gun);
}

async function deleteGun(r: CommandRun): Promise<void> {
  const gun = gunOf(r);
  const remoteToo = r.inv.flags.bool('remote');
  let remote;
  if (remoteToo) remote = await r.ctx.remote(gun);
  r.report.text(`Deleting trust data for repository ${gun}\n`);
  try {
    await rm(r.ctx.repositoryDir(gun), { recursive: true, force: true });
  } catch (err) {
    throw new FatalError(`error clearing TUF repo data: ${(err as Error).message}`);
  }
  if (remoteToo) {
    if (!remote) throw new FatalError('client is offline');
    await remote.deleteRepository();
  }
  r.report.text(`Successfully deleted local${remoteToo ? ' and remote' : ''} trust data for repository ${gun}\n`);
  r.report.set('deleted', { local: true, remote: remoteToo });
}

/** Go's *PathError text for a failed read of `file`: `open <file>: no such file or directory`, `read <file>: is a directory` */
export function fsError(err: unknown, file: string): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return `open ${file}: no such file or directory`;
  if (code === 'EACCES') return `open ${file}: permission denied`;
  if (code === 'EISDIR') return `read ${file}: is a directory`;
  return `open ${file}: ${(err as Error).message}`;
}
