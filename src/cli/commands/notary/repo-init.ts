/** notary `init` (`N:cmd/notary/tuf.go` tufInit): a new repository, with a root key and certificate given or found. */
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { decodePemBlocks, encodePem } from '../../../core/encoding.js';
import { certificateCommonName } from '../../../core/keys/certificate.js';
import { PublicKey } from '../../../core/keys/public-key.js';
import { CliFailure } from '../../cli-failure.js';
import type { HostEnvironment } from './context.js';
import { fsError } from './output.js';
import { gunOf, maybeAutoPublish, type CommandRun } from './publish.js';
import { importRootKey } from '../../../app/keys/open-key-file.js';

export async function init(r: CommandRun, host: HostEnvironment): Promise<void> {
  const { ctx, inv, report } = r;
  const gun = gunOf(r);
  const repo = await ctx.repository(gun);
  let rootKeyIds: string[];
  const rootKeyFile = inv.flags.string('rootkey');
  if (rootKeyFile !== '') {
    rootKeyIds = [await importRootKeyFile(r, resolve(host.cwd, rootKeyFile))];
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
        throw new CliFailure('could not obtain public key from IDs: private key is nil or does not match public key');
    } else {
      // otherwise the certificate picks its key among those held (none is generated)
      if (!rootKeyIds.includes(certKeyId))
        throw new CliFailure('error initializing repository with certificate: cannot find matching private key id');
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
    throw new CliFailure(`error reading certificate file: ${fsError(err, shown)}`);
  }
  const block = decodePemBlocks(text)[0];
  if (!block) throw new CliFailure('the provided file does not contain a valid PEM certificate <nil>');
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(block.bytes);
  } catch {
    throw new CliFailure('Parsing certificate PEM bytes to x509 certificate: x509: malformed certificate');
  }
  const pem = encodePem({ type: 'CERTIFICATE', headers: {}, bytes: x509.raw });
  try {
    return { pem, key: PublicKey.fromCertificatePem(pem), x509 };
  } catch (err) {
    throw new CliFailure(`Parsing certificate PEM bytes to x509 certificate: ${(err as Error).message}`);
  }
}

/** notary importRootKey: an encrypted root key file, decrypted and stored */
async function importRootKeyFile(r: CommandRun, file: string): Promise<string> {
  let pem: string;
  try {
    pem = await readFile(file, 'utf8');
  } catch (err) {
    throw new CliFailure(`Error reading input root key file: ${fsError(err, file)}`);
  }
  return importRootKey({ keys: r.ctx.keyStore, passphrases: r.ctx.keyPassphrases() }, pem);
}
