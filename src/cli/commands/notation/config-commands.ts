/**
 * notation's key, cert and policy commands (notation 1.x's grammar, output and errors):
 * `cert generate-test | add | ls | show | delete`, `key add | ls | update (set) | delete`,
 * `policy import | show`. Each parses its arguments, calls a use case of
 * `src/app/notation/config/` on the configuration directory notation would use
 * (`$NOTATION_CONFIG`, else `$XDG_CONFIG_HOME/notation`, else `~/.config/notation`) and prints
 * what notation prints. cobra has aliases (`certificate`/`cert`, `list`/`ls`, `update`/`set`);
 * the command model has none, so each alias is a command of its own.
 */
import type { X509Certificate } from 'node:crypto';
import { FileNotationConfig } from '../../../adapters/notation/config/file-notation-config.js';
import { notationConfigDir } from '../../../adapters/notation/config/config-dir.js';
import { DctError } from '../../../core/errors.js';
import { certificateIssuerString, certificateSubjectString } from '../../../core/notation/distinguished-name.js';
import { cleanupTestCertificate, type CleanupTestEvent } from '../../../app/notation/config/cleanup-test-certificate.js';
import { generateTestCertificate, type GenerateTestEvent } from '../../../app/notation/config/generate-test-certificate.js';
import { addKey, deleteSigningKeys, listSigningKeys, setDefaultKey } from '../../../app/notation/config/signing-key-list.js';
import { importTrustPolicy, showTrustPolicy } from '../../../app/notation/config/trust-policy-commands.js';
import {
  addCertificates,
  deleteCertificates,
  listCertificates,
  showCertificate,
} from '../../../app/notation/config/trust-store-certificates.js';
import { readFile, stat } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { CliFailure } from '../../cli-failure.js';
import type { CommandSpec, Invocation, Io } from '../../cobra/command.js';
import type { FlagSpec } from '../../cobra/flags.js';
import { tabwrite } from '../../table.js';

export interface NotationConfigDeps {
  env?: Readonly<Record<string, string | undefined>>;
  now?: () => Date;
  /** one line of the user's answer (stdin by default) */
  readLine?: () => Promise<string | undefined>;
}

const TYPE_FLAG: FlagSpec = {
  name: 'type',
  short: 't',
  kind: 'string',
  usage: 'specify trust store type, options: ca, signingAuthority, tsa',
};
const STORE_FLAG: FlagSpec = { name: 'store', short: 's', kind: 'string', usage: 'specify named store' };
const LOGGING: FlagSpec[] = [
  { name: 'debug', short: 'd', kind: 'bool', usage: 'debug mode' },
  { name: 'verbose', short: 'v', kind: 'bool', usage: 'verbose mode' },
];
const MAX_POLICY_FILE = 4 * 1024 * 1024;

export function notationConfigCommands(deps: NotationConfigDeps = {}): CommandSpec[] {
  const store = () => new FileNotationConfig(notationConfigDir(deps.env ?? process.env));
  const now = () => (deps.now ? deps.now() : new Date());
  const confirmer = (io: Io, yes: boolean) => async (prompt: string) => {
    if (yes) return true;
    io.out(`${prompt} [y/N] `);
    const answer = (await (deps.readLine ?? readStdinLine)()) ?? '';
    if (['y', 'yes'].includes(answer.toLowerCase())) return true;
    io.out('Operation cancelled.\n');
    return false;
  };

  const certList = (use: string): CommandSpec => ({
    use,
    short: 'List certificates in the trust store.',
    flags: [...LOGGING, TYPE_FLAG, STORE_FLAG],
    run: async ({ flags, io }) => {
      const found = await listCertificates(store(), { type: flags.string('type'), store: flags.string('store') });
      if (found.length === 0) return;
      io.out(
        tabwrite([['STORE TYPE', 'STORE NAME', 'CERTIFICATE', ''], ...found.map((c) => [c.type, c.store, c.file, ''])], {
          minWidth: 0,
          padding: 3,
        }),
      );
    },
  });

  const cert: (use: string) => CommandSpec = (use) => ({
    use,
    short: 'Manage certificates in trust store',
    long: 'Manage certificates in trust store for signature verification.',
    commands: [
      {
        use: 'add --type <type> --store <name> [flags] <cert_path>...',
        short: 'Add certificates to the trust store.',
        flags: [TYPE_FLAG, STORE_FLAG],
        run: async ({ args, flags, io }) => {
          if (args.length === 0) throw CliFailure.usage('missing certificate path');
          requireFlags(flags, ['store', 'type']);
          const type = flags.string('type');
          const named = flags.string('store');
          const result = await addCertificates(store(), type, named, args);
          if (result.added.length > 0) {
            io.out(
              `Successfully added following certificates to named store ${named} of type ${type}:\n${result.added.map((p) => `${p}\n`).join('')}`,
            );
          }
          if (result.failed.length > 0) {
            const first = result.failed[0]?.error;
            const lines = result.failed.map((f) => `${f.path}, with error ${JSON.stringify(f.error.message)}\n`).join('');
            throw new DctError(
              first instanceof DctError ? first.code : 'NOTATION_CERTIFICATE_FILE_INVALID',
              `Failed to add following certificates to named store ${named} of type ${type}:\n${lines}`,
            );
          }
        },
      },
      certList('list'),
      certList('ls'),
      {
        use: 'show --type <type> --store <name> [flags] <cert_fileName>',
        short:
          'Show certificate details given trust store type, named store, and certificate file name. If the certificate file contains multiple certificates, then all certificates are displayed.',
        flags: [...LOGGING, TYPE_FLAG, STORE_FLAG],
        run: async ({ args, flags, io }) => {
          if (args.length === 0) throw CliFailure.usage('missing certificate file name');
          if (args.length > 1) throw CliFailure.usage('show only supports single certificate file');
          requireFlags(flags, ['store', 'type']);
          io.out(formatCertificates(await showCertificate(store(), flags.string('type'), flags.string('store'), args[0] as string)));
        },
      },
      {
        use: 'delete --type <type> --store <name> [flags] (--all | <cert_fileName>)',
        short: 'Delete certificates from the trust store.',
        flags: [
          TYPE_FLAG,
          STORE_FLAG,
          { name: 'all', short: 'a', kind: 'bool', usage: 'delete all certificates in the named store' },
          { name: 'yes', short: 'y', kind: 'bool', usage: 'do not prompt for confirmation' },
        ],
        run: async ({ args, flags, io }) => {
          const all = flags.bool('all');
          if (all && args.length !== 0)
            throw CliFailure.usage('cannot delete a single certificate file when --all flag is set. use --help flag for more details');
          if (!all && args.length === 0) {
            throw CliFailure.usage(
              'delete requires either the certificate file name that needs to be deleted or --all flag to delete all certificates in the given named trust store',
            );
          }
          requireFlags(flags, ['store', 'type']);
          const type = flags.string('type');
          const named = flags.string('store');
          const outcome = await deleteCertificates(
            store(),
            { type, store: named, ...(all ? {} : { file: args[0] }) },
            confirmer(io, flags.bool('yes')),
          );
          if (outcome.kind === 'cancelled') return;
          if (outcome.warning) io.err(`${outcome.warning}\n`);
          io.out(
            all
              ? `Successfully deleted ${outcome.path}\n`
              : `Successfully deleted ${args[0] as string} from trust store ${named} of type ${type}\n`,
          );
        },
      },
      {
        use: 'generate-test [flags] <common_name>',
        short: 'Generate a test RSA key and a corresponding self-signed certificate.',
        flags: [
          { name: 'bits', short: 'b', kind: 'int', usage: 'RSA key bits', def: 2048 },
          { name: 'default', kind: 'bool', usage: 'mark as default signing key' },
        ],
        run: async ({ args, flags, io }) => {
          if (args.length === 0) throw CliFailure.usage('missing certificate common_name');
          const request = { name: args[0] as string, bits: flags.int('bits'), isDefault: flags.bool('default'), now: now() };
          await generateTestCertificate(store(), request, (e) => io.out(generateTestLine(e)));
        },
      },
      {
        use: 'cleanup-test [flags] <common_name>',
        short: 'Clean up a test RSA key and its corresponding certificate that were generated using the "generate-test" command.',
        flags: [{ name: 'yes', short: 'y', kind: 'bool', usage: 'do not prompt for confirmation' }],
        run: async ({ args, flags, io }) => {
          if (args.length === 0) throw CliFailure.usage('missing certificate common name');
          await cleanupTestCertificate(store(), args[0] as string, confirmer(io, flags.bool('yes')), (e) => io.out(cleanupTestLine(e)));
        },
      },
    ],
  });

  const keyList = (use: string): CommandSpec => ({
    use,
    short: 'List keys used for signing',
    run: async ({ io }) => {
      const keys = await listSigningKeys(store());
      const rows = keys.keys.map((k) => [
        k.name === keys.default ? `* ${k.name}` : k.name,
        k.keyPath ?? '',
        k.certPath ?? '',
        k.id ?? '',
        k.pluginName ?? '',
        '',
      ]);
      io.out(tabwrite([['NAME', 'KEY PATH', 'CERTIFICATE PATH', 'ID', 'PLUGIN NAME', ''], ...rows], { minWidth: 0, padding: 3 }));
    },
  });
  const keyUpdate = (use: string): CommandSpec => ({
    use,
    short: 'Update key in Notation signing key list',
    flags: [...LOGGING, { name: 'default', kind: 'bool', usage: 'mark as default' }],
    run: async ({ args, flags, io }) => {
      if (args.length === 0) throw CliFailure.usage('missing key name');
      if (!flags.bool('default')) {
        io.err('Warning: --default flag is not set, command did not take effect\n');
        return;
      }
      await setDefaultKey(store(), args[0] as string);
      io.out(`${args[0] as string}: marked as default\n`);
    },
  });

  const key: CommandSpec = {
    use: 'key',
    short: 'Manage keys used for signing',
    commands: [
      {
        use: 'add --plugin <plugin_name> [flags] <key_name>',
        short: 'Add key to Notation signing key list',
        flags: [
          ...LOGGING,
          { name: 'plugin', kind: 'string', usage: 'signing plugin name' },
          { name: 'id', kind: 'string', usage: 'key id (required if --plugin is set)' },
          {
            name: 'plugin-config',
            kind: 'stringArray',
            usage: "{key}={value} pairs that are passed as it is to a plugin, refer plugin's documentation to set appropriate values",
          },
          { name: 'default', kind: 'bool', usage: 'mark as default' },
          { name: 'key-file', kind: 'string', usage: 'dct: a local private key file (PEM) instead of a plugin', hidden: true },
          { name: 'cert-file', kind: 'string', usage: 'dct: the certificate chain file (PEM) of --key-file', hidden: true },
        ],
        run: async ({ args, flags, io }) => {
          if (args.length !== 1) throw CliFailure.usage('either missing key name or unnecessary parameters passed');
          const local = flags.changed('key-file') || flags.changed('cert-file');
          if (!local) requireFlags(flags, ['plugin']);
          const name = args[0] as string;
          await addKey(store(), {
            name,
            isDefault: flags.bool('default'),
            ...(local
              ? { keyFile: flags.string('key-file'), certFile: flags.string('cert-file') }
              : { plugin: flags.string('plugin'), id: flags.string('id') }),
          });
          io.out(flags.bool('default') ? `${name}: marked as default\n` : `${name}\n`);
        },
      },
      keyUpdate('update [flags] <key_name>'),
      keyUpdate('set [flags] <key_name>'),
      keyList('list [flags]'),
      keyList('ls [flags]'),
      {
        use: 'delete [flags] <key_name>...',
        short: 'Remove key from Notation signing key list',
        flags: LOGGING,
        run: async ({ args, io }) => {
          if (args.length === 0) throw CliFailure.usage('missing key names');
          const { removed, previousDefault } = await deleteSigningKeys(store(), args);
          if (removed.length === 1) {
            const name = removed[0] as string;
            io.out(
              `Removed ${name === previousDefault ? 'default key ' : ''}${name} from Notation signing key list. The source key still exists.\n`,
            );
          } else if (removed.length > 1) {
            io.out('Removed the following keys from Notation signing key list. The source keys still exist.\n');
            for (const name of removed) io.out(name === previousDefault ? `${name} (default)\n` : `${name}\n`);
          }
        },
      },
    ],
  };

  const policy: CommandSpec = {
    use: 'policy [command]',
    short: 'Manage OCI trust policy configuration for OCI artifact signature verification',
    long: 'Manage OCI trust policy configuration for OCI artifact signature verification.',
    commands: [
      {
        use: 'import [flags] <file_path>',
        short: 'Import OCI trust policy configuration from a JSON file',
        flags: [{ name: 'force', kind: 'bool', usage: 'override the existing OCI trust policy configuration without prompt' }],
        run: async ({ args, flags, io }) => {
          if (args.length !== 1) {
            throw CliFailure.usage(
              `requires 1 argument but received ${args.length}.\nUsage: notation policy import <path-to-policy.json>\nPlease specify a trust policy file location as the argument`,
            );
          }
          const bytes = await readPolicyArgument(args[0] as string);
          const force = flags.bool('force');
          const outcome = await importTrustPolicy(store(), bytes, force, confirmer(io, false));
          if (outcome.kind === 'cancelled') return;
          if (outcome.overwritten) io.err('Warning: existing OCI trust policy configuration will be overwritten\n');
          if (outcome.warning) io.err(`Warning: ${outcome.warning}\n`);
          if (outcome.deletedOld) io.out('Deleted old trust policy configuration trustpolicy.json.\n');
          io.out(`Successfully imported OCI trust policy configuration to ${outcome.path}.\n`);
        },
      },
      {
        use: 'show [flags]',
        short: 'Show OCI trust policy configuration',
        run: async (inv: Invocation) => {
          const { args, io } = inv;
          if (args.length !== 0) throw CliFailure.usage(`accepts 0 arg(s), received ${args.length}`);
          let shown;
          try {
            shown = await showTrustPolicy(store());
          } catch (err) {
            if (err instanceof DctError && err.code !== 'NOTATION_POLICY_NOT_FOUND') {
              throw new DctError(err.code, `failed to show OCI trust policy: ${err.message}`, { cause: err });
            }
            throw err;
          }
          if (shown.old) {
            io.err(
              'Warning: old trust policy `trustpolicy.json` is deprecated; please update the trust policy configuration via `notation policy import`.\n',
            );
          }
          if (shown.invalid) {
            io.err(
              'Existing OCI trust policy configuration is invalid, you may update or create a new one via `notation policy import <path-to-policy.json>`. See https://github.com/notaryproject/specifications/blob/8cf800c60b7315a43f0adbcae463d848a353b412/specs/trust-store-trust-policy.md#trust-policy-for-oci-artifacts for a trust policy example.\n',
            );
          }
          if (io.bytes) io.bytes(shown.bytes);
          else io.out(shown.bytes.toString('utf8'));
          if (shown.invalid) throw shown.invalid;
        },
      },
    ],
  };

  return [cert('certificate'), cert('cert'), key, policy];
}

/** cobra's check of required flags: `required flag(s) "store", "type" not set` (names sorted). */
function requireFlags(flags: Invocation['flags'], names: string[]): void {
  const missing = names.filter((n) => !flags.changed(n)).sort();
  if (missing.length > 0) throw CliFailure.usage(`required flag(s) ${missing.map((n) => `"${n}"`).join(', ')} not set`);
}

async function readPolicyArgument(path: string): Promise<Buffer> {
  try {
    const st = await stat(path);
    if (st.size > MAX_POLICY_FILE) {
      throw new DctError(
        'NOTATION_CONFIG_TOO_LARGE',
        `failed to read OCI trust policy configuration: ${path} is ${st.size} bytes, more than the ${MAX_POLICY_FILE} dct reads`,
      );
    }
    return await readFile(path);
  } catch (err) {
    if (err instanceof DctError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file or directory' : code === 'EISDIR' ? 'is a directory' : (err as Error).message;
    throw new DctError('NOTATION_CONFIG_FILE_INVALID', `failed to read OCI trust policy configuration: open ${path}: ${why}`);
  }
}

function generateTestLine(e: GenerateTestEvent): string {
  switch (e.kind) {
    case 'generating':
      return `generating RSA Key with ${e.bits} bits\n`;
    case 'certificate':
      return `generated certificate expiring on ${e.notAfter.toISOString().replace(/\.\d{3}Z$/, 'Z')}\n`;
    case 'wroteKey':
      return `wrote key: ${e.path}\n`;
    case 'wroteCertificate':
      return `wrote certificate: ${e.path}\n`;
    case 'addedToStore':
      return `Successfully added ${e.file} to named store ${e.store} of type ${e.type}\n`;
    case 'addedKey':
      return `${e.name}: added to the key list\n`;
    case 'markedDefault':
      return `${e.name}: marked as default signing key\n`;
  }
}

function cleanupTestLine(e: CleanupTestEvent): string {
  switch (e.kind) {
    case 'certificateDeleted':
      return `Successfully deleted ${e.file} from trust store ${e.store} of type ca\n`;
    case 'certificateNotInStore':
      return `Certificate ${e.file} does not exist in trust store ${e.store} of type ca\n`;
    case 'keyRemoved':
      return `Successfully removed key ${e.name} from the key list\n`;
    case 'keyNotListed':
      return `Key ${e.name} does not exist in the key list\n`;
    case 'keyFileDeleted':
      return `Successfully deleted key file: ${e.path}\n`;
    case 'keyFileMissing':
      return `Key file ${e.path} does not exist\n`;
    case 'certificateFileDeleted':
      return `Successfully deleted certificate file: ${e.path}\n`;
    case 'certificateFileMissing':
      return `Certificate file ${e.path} does not exist\n`;
    case 'completed':
      return 'Cleanup completed successfully\n';
  }
}

const RULE = '--------------------------------------------------------------------------------\n';

/** notation's `ShowCerts`: each certificate's issuer, subject, validity, CA flag and SHA-256 thumbprint. */
export function formatCertificates(certs: readonly X509Certificate[]): string {
  let out = `Certificate details\n${RULE}`;
  certs.forEach((cert, i) => {
    out += `Issuer: ${certificateIssuerString(cert)}\n`;
    out += `Subject: ${certificateSubjectString(cert)}\n`;
    out += `Valid from: ${goTimeString(new Date(cert.validFrom))}\n`;
    out += `Valid to: ${goTimeString(new Date(cert.validTo))}\n`;
    out += `IsCA: ${cert.ca ? 'true' : 'false'}\n`;
    out += `SHA256 Thumbprint: ${createHash('sha256').update(cert.raw).digest('hex')}\n`;
    if (i !== certs.length - 1) out += RULE;
  });
  return out;
}

/** Go's `time.Time.String()` of a UTC time: `2022-12-19 05:36:41 +0000 UTC`. */
function goTimeString(d: Date): string {
  return `${d.toISOString().slice(0, 19).replace('T', ' ')} +0000 UTC`;
}

/** One line of stdin (without its newline); undefined at end of input. */
async function readStdinLine(): Promise<string | undefined> {
  const { createInterface } = await import('node:readline');
  const rl = createInterface({ input: process.stdin, terminal: false });
  try {
    for await (const line of rl) return line;
    return undefined;
  } finally {
    rl.close();
  }
}
