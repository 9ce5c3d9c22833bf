/**
 * `notary delegation add|remove|list|purge` (`N:cmd/notary/delegations.go`):
 * delegation changes staged in the changelist (or published with `-p`), and the
 * delegations of a repository as notary lists them (canonical key IDs).
 */
import { createPublicKey, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { byteOrder } from '../../../app/client/change-content-json.js';
import { delegationChange, type NotaryChange } from '../../../app/client/notary-change.js';
import { delegationRoles } from '../../../core/trust/repository-view.js';
import { decodePemBlocks, encodePem } from '../../../core/encoding.js';
import { certificateCommonName, certificateSignatureAlgorithm } from '../../../core/keys/certificate.js';
import { PublicKey } from '../../../core/keys/public-key.js';
import { isDelegationRole } from '../../../core/tuf/roles.js';
import type { CommandSpec, Invocation } from '../../cobra/command.js';
import { CliFailure } from '../../cli-failure.js';
import { goQuote } from '../../pflag/strconv.js';
import type { HostEnvironment } from './context.js';
import { goSlice, notaryErrorText, notaryTable } from './output.js';
import { askConfirm, maybeAutoPublish, stage, usageError, withContext, type CommandRun } from './publish.js';
import { AUTO_PUBLISH_HELP } from './repo.js';

const MIN_RSA_BITS = 2048;

export function delegationCommand(host: HostEnvironment): CommandSpec {
  return {
    use: 'delegation',
    short: 'Operates on delegations.',
    long: 'Operations on TUF delegations.',
    commands: [
      {
        use: 'list [ GUN ]',
        short: 'Lists delegations for the Global Unique Name.',
        long: 'Lists all delegations known to notary for a specific Global Unique Name.',
        run: (inv) => {
          if (inv.args.length !== 1) throw usageError(inv, 'Please provide a Global Unique Name as an argument to list');
          return withContext(inv, host, list);
        },
      },
      {
        use: 'purge [ GUN ]',
        short: 'Remove KeyID(s) from all delegation roles in the given GUN.',
        long: 'Remove KeyID(s) from all delegation roles in the given GUN, for which the signing keys are available. Warnings will be printed for delegations that cannot be updated.',
        flags: [
          { name: 'key', kind: 'strings', usage: 'Delegation key IDs to be removed from the GUN' },
          { name: 'publish', short: 'p', kind: 'bool', usage: AUTO_PUBLISH_HELP },
        ],
        run: (inv) => {
          if (inv.args.length !== 1) throw usageError(inv, 'Please provide a single Global Unique Name as an argument to remove');
          if ((inv.flags.strings('key') ?? []).length === 0)
            throw usageError(inv, 'Please provide at least one key ID to be removed using the --key flag');
          return withContext(inv, host, purge);
        },
      },
      {
        use: 'remove [ GUN ] [ Role ] <KeyID 1> ...',
        short: 'Remove KeyID(s) from the specified Role delegation.',
        long: 'Remove KeyID(s) from the specified Role delegation in a specific Global Unique Name.',
        flags: [
          { name: 'paths', kind: 'strings', usage: 'List of paths to remove' },
          { name: 'yes', short: 'y', kind: 'bool', usage: 'Answer yes to the removal question (no confirmation)' },
          { name: 'all-paths', kind: 'bool', usage: 'Remove all paths from this delegation' },
          { name: 'publish', short: 'p', kind: 'bool', usage: AUTO_PUBLISH_HELP },
        ],
        run: (inv) => {
          if (inv.args.length < 2) {
            throw usageError(
              inv,
              'must specify the Global Unique Name and the role of the delegation along with optional keyIDs and/or a list of paths to remove',
            );
          }
          return withContext(inv, host, (r) => remove(r, host));
        },
      },
      {
        use: 'add [ GUN ] [ Role ] <X509 file path 1> ...',
        short: 'Add a keys to delegation using the provided public key X509 certificates.',
        long: 'Add a keys to delegation using the provided public key PEM encoded X509 certificates in a specific Global Unique Name.',
        flags: [
          { name: 'paths', kind: 'strings', usage: 'List of paths to add' },
          { name: 'all-paths', kind: 'bool', usage: 'Add all paths to this delegation' },
          { name: 'publish', short: 'p', kind: 'bool', usage: AUTO_PUBLISH_HELP },
        ],
        run: (inv: Invocation) => {
          const paths = inv.flags.strings('paths');
          if (inv.args.length < 2 || (inv.args.length < 3 && paths === undefined && !inv.flags.bool('all-paths'))) {
            throw usageError(
              inv,
              'must specify the Global Unique Name and the role of the delegation along with the public key certificate paths and/or a list of paths to add',
            );
          }
          return withContext(inv, host, (r) => add(r, host));
        },
      },
    ],
  };
}

/** notary prettyPaths: sorted, `""` shown as `"" <all paths>` */
function prettyPaths(paths: readonly string[]): string[] {
  return [...paths].sort(byteOrder).map((p) => (p === '' ? '"" <all paths>' : p));
}

async function list(r: CommandRun): Promise<void> {
  const gun = r.inv.args[0] as string;
  r.report.set('gun', gun);
  let roles;
  const repo = await r.ctx.repository(gun);
  try {
    const { trusted, warnings } = await repo.read();
    for (const w of warnings) r.ctx.log.warn(w);
    roles = delegationRoles(trusted);
  } catch (err) {
    throw new CliFailure(`Error retrieving delegation roles for repository ${gun}: ${notaryErrorText(err)}`);
  }
  const sorted = [...roles].sort((a, b) => byteOrder(a.name, b.name));
  r.report.set(
    'delegations',
    sorted.map((d) => ({
      role: d.name,
      paths: [...(d.paths ?? [])].sort(byteOrder),
      keyIds: d.keys.map((k) => k.canonicalId),
      threshold: d.threshold,
    })),
  );
  r.report.text('\n');
  if (sorted.length === 0) {
    r.report.text('\nNo delegations present in this repository.\n\n');
  } else {
    const rows: string[][] = [];
    for (const d of sorted) {
      const paths = prettyPaths(d.paths ?? []);
      const ids = d.keys.map((k) => k.canonicalId);
      rows.push([d.name, paths[0] ?? '', ids[0] ?? '', String(d.threshold)]);
      for (let i = 1; i < Math.max(paths.length, ids.length); i++) rows.push(['', paths[i] ?? '', ids[i] ?? '', '']);
    }
    r.report.text(notaryTable(['ROLE', 'PATHS', 'KEY IDS', 'THRESHOLD'], rows));
  }
  r.report.text('\n');
}

/** notary ingestPublicKeys + utils.ParsePEMPublicKey */
async function ingestPublicKeys(r: CommandRun, files: readonly string[], host: HostEnvironment): Promise<PublicKey[]> {
  const keys: PublicKey[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(resolve(host.cwd, file), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new CliFailure(`file for public key does not exist: ${file}`);
      throw new CliFailure(`unable to read public key from file: ${file}`);
    }
    try {
      keys.push(parsePemPublicKey(text, r));
    } catch (err) {
      throw new CliFailure(`unable to parse valid public key certificate from PEM file ${file}: ${(err as Error).message}`);
    }
  }
  return keys;
}

function parsePemPublicKey(text: string, r: CommandRun): PublicKey {
  let block;
  try {
    block = decodePemBlocks(text)[0];
  } catch {
    block = undefined;
  }
  if (!block) throw new Error('no valid public key found');
  if (block.type === 'CERTIFICATE') {
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(block.bytes);
    } catch (err) {
      throw new Error(`could not parse provided certificate: ${(err as Error).message}`);
    }
    const cn = certificateCommonName(cert) ?? '';
    const notBefore = new Date(cert.validFrom);
    const notAfter = new Date(cert.validTo);
    if (notBefore > notAfter) throw new Error('invalid certificate: certificate validity window is invalid');
    if (usesSha1(cert)) throw new Error(`invalid certificate: certificate with CN ${cn} uses invalid SHA1 signature algorithm`);
    if (cert.publicKey.asymmetricKeyType === 'rsa' && (cert.publicKey.asymmetricKeyDetails?.modulusLength ?? 0) < MIN_RSA_BITS) {
      throw new Error('invalid certificate: RSA bit length is too short');
    }
    const now = new Date();
    const tomorrow = new Date(now.getTime() + 24 * 3600 * 1000);
    if (tomorrow < notBefore || now > notAfter) throw new Error(`invalid certificate: certificate with CN ${cn} is expired`);
    const sixMonths = new Date(now);
    sixMonths.setMonth(sixMonths.getMonth() + 6);
    if (notAfter < sixMonths) r.ctx.log.warn(`certificate with CN ${cn} is near expiry`);
    // notary re-encodes the certificate alone (its key ID depends on these bytes)
    return PublicKey.fromCertificatePem(encodePem({ type: 'CERTIFICATE', headers: {}, bytes: Buffer.from(cert.raw) }));
  }
  if (block.type === 'PUBLIC KEY') {
    let key;
    try {
      key = createPublicKey({ key: block.bytes, format: 'der', type: 'spki' });
    } catch (err) {
      throw new Error(`unable to parse pem encoded public key: ${(err as Error).message}`);
    }
    if (key.asymmetricKeyType === 'ec') return new PublicKey('ecdsa', Buffer.from(block.bytes));
    if (key.asymmetricKeyType === 'rsa') return new PublicKey('rsa', Buffer.from(block.bytes));
    throw new Error('unknown public key format');
  }
  throw new Error(`unsupported PEM block type ${goQuote(block.type)}, expected CERTIFICATE or PUBLIC KEY`);
}

const SHA1_SIGNATURES = new Set(['1.2.840.113549.1.1.5', '1.2.840.10045.4.1', '1.2.840.10040.4.3']);

function usesSha1(cert: X509Certificate): boolean {
  try {
    return SHA1_SIGNATURES.has(certificateSignatureAlgorithm(cert));
  } catch {
    return false;
  }
}

async function add(r: CommandRun, host: HostEnvironment): Promise<void> {
  const { inv, report } = r;
  const [gun, role, ...keyFiles] = inv.args as [string, string, ...string[]];
  report.set('gun', gun);
  const keys = await ingestPublicKeys(r, keyFiles, host);
  let paths = inv.flags.strings('paths');
  let allPaths = inv.flags.bool('all-paths');
  if (paths?.includes('')) allPaths = true;
  if (allPaths) paths = [''];
  if (!isDelegationRole(role)) throw new CliFailure(`failed to create delegation: tuf: invalid role ${role}. invalid delegation role name`);
  const changes: NotaryChange[] = [];
  if (keys.length > 0) changes.push(delegationChange('create', role, { threshold: 1, addKeys: keys }));
  if (paths && paths.length > 0) changes.push(delegationChange('create', role, { addPaths: paths }));
  await stage(r.ctx, gun, changes);
  const ids = keys.map((k) => k.canonicalId);
  let items = '';
  if (ids.length > 0) items += `with keys ${goSlice(ids)}, `;
  if (paths !== undefined || allPaths) items += `with paths [${prettyPaths(paths ?? []).join('\n')}], `;
  report.text('\n');
  report.text(`Addition of delegation role ${role} ${items}to repository "${gun}" staged for next publish.\n`);
  report.text('\n');
  report.set('staged', { action: 'add delegation', role, keyIds: ids, paths: paths ?? [] });
  await maybeAutoPublish(r, gun);
}

async function remove(r: CommandRun, host: HostEnvironment): Promise<void> {
  const { inv, report, ctx } = r;
  const [gun, role, ...keyIds] = inv.args as [string, string, ...string[]];
  report.set('gun', gun);
  if (!isDelegationRole(role)) throw new CliFailure(`invalid delegation name ${role}`);
  let paths = inv.flags.strings('paths');
  const allPaths = inv.flags.bool('all-paths');
  const removeAll = inv.args.length === 2 && paths === undefined && !allPaths;
  if (allPaths) paths = undefined;
  const changes: NotaryChange[] = [];
  if (removeAll) {
    report.text('\nAre you sure you want to remove all data for this delegation? (yes/no)\n');
    if (!inv.flags.bool('yes')) {
      if (!(await askConfirm(host))) {
        // notary's fatalf from inside the command: no blank line before
        inv.io.out('* fatal: Aborting action.\n');
        throw CliFailure.reported(1);
      }
    } else {
      report.text('Confirmed `yes` from flag\n');
    }
    changes.push(delegationChange('delete', role));
  } else {
    if (allPaths) changes.push(delegationChange('update', role, { clearPaths: true }));
    if (paths && paths.length > 0) changes.push(delegationChange('update', role, { removePaths: paths }));
    if (keyIds.length > 0) changes.push(delegationChange('update', role, { removeKeys: keyIds }));
  }
  await stage(ctx, gun, changes);
  report.text('\n');
  if (removeAll) {
    report.text(
      `Forced removal (including all keys and paths) of delegation role ${role} to repository "${gun}" staged for next publish.\n`,
    );
  } else {
    let items = '';
    if (keyIds.length > 0) items += `with keys ${goSlice(keyIds)}, `;
    if (allPaths) items += 'with all paths, ';
    if (paths !== undefined) items += `with paths [${prettyPaths(paths).join('\n')}], `;
    report.text(`Removal of delegation role ${role} ${items}to repository "${gun}" staged for next publish.\n`);
  }
  report.text('\n');
  report.set('staged', { action: removeAll ? 'remove delegation' : 'update delegation', role, keyIds, paths: paths ?? [], allPaths });
  await maybeAutoPublish(r, gun);
}

async function purge(r: CommandRun): Promise<void> {
  const gun = r.inv.args[0] as string;
  r.report.set('gun', gun);
  const keyIds = r.inv.flags.strings('key') ?? [];
  await stage(r.ctx, gun, [delegationChange('update', 'targets/*', { removeKeys: keyIds })]);
  r.report.text(`Removal of the following keys from all delegations in ${gun} staged for next publish:\n\t- ${keyIds.join('\n\t- ')}\n`);
  r.report.set('staged', { action: 'purge keys', keyIds });
  await maybeAutoPublish(r, gun);
}
