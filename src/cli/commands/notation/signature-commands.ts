/** notation's sign, verify, list and inspect commands (notation 1.x flags, outputs and error texts). */
import { parseArtifactReference } from '../../../app/notation/artifact-reference.js';
import { formatInspectionJson, formatInspectionTree } from '../../../app/notation/inspect-output.js';
import { inspectSignatures, SKIPPED_SIGNATURES_MESSAGE } from '../../../app/notation/inspect-signatures.js';
import { formatSignatureListing, listSignatures } from '../../../app/notation/list-signatures.js';
import { signArtifact } from '../../../app/notation/sign-artifact.js';
import { DEFAULT_MAX_SIGNATURES, NotationVerificationError, verifyArtifact } from '../../../app/notation/verify-artifact.js';
import { CliFailure } from '../../cli-failure.js';
import type { CommandSpec, Invocation } from '../../cobra/command.js';
import type { FlagSpec } from '../../cobra/flags.js';
import { parseGoDuration } from './go-duration.js';
import type { NotationServices } from './notation-services.js';
import { parseLayoutReference } from './layout-reference.js';
import type { NotationRepository } from '../../../app/notation/notation-repository.js';
import type { ImageReference } from '../../../core/image-reference.js';

const LOGGING: FlagSpec[] = [
  { name: 'debug', short: 'd', kind: 'bool', usage: 'debug mode' },
  { name: 'verbose', short: 'v', kind: 'bool', usage: 'verbose mode' },
];
/** notation's registry credential flags (`-u`, `-p`; `NOTATION_USERNAME`, `NOTATION_PASSWORD`) */
const CREDENTIALS: FlagSpec[] = [
  {
    name: 'username',
    short: 'u',
    kind: 'string',
    usage: 'username for registry operations (default to $NOTATION_USERNAME if not specified)',
  },
  {
    name: 'password',
    short: 'p',
    kind: 'string',
    usage: 'password for registry operations (default to $NOTATION_PASSWORD if not specified)',
  },
];

const INSECURE: FlagSpec = {
  name: 'insecure-registry',
  kind: 'bool',
  usage: 'use HTTP protocol while connecting to registries. Should be used only for testing',
};
const MAX_SIGNATURES: FlagSpec = {
  name: 'max-signatures',
  kind: 'int',
  usage: 'maximum number of signatures to evaluate or examine',
  def: DEFAULT_MAX_SIGNATURES,
};
const referrersApi = (verb: string): FlagSpec => ({
  name: 'allow-referrers-api',
  kind: 'bool',
  usage: `[Experimental] use the Referrers API to ${verb} signatures, if not supported (returns 404), fallback to the Referrers tag schema`,
  hidden: true,
});

function reference(inv: Invocation, verb: string): string {
  const ref = inv.args[0];
  if (ref === undefined)
    throw CliFailure.usage(`missing reference to the artifact: use \`notation ${verb} --help\` to see what parameters are required`);
  return ref;
}

/** `k=v` pairs of a flag (notation's ParseFlagMap) */
function flagMap(values: string[] | undefined, flag: string): Record<string, string> | undefined {
  if (!values || values.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const v of values) {
    const at = v.indexOf('=');
    if (at < 0) throw CliFailure.usage(`could not parse flag ${flag}: key-value pair requires "=" as separator`);
    const key = v.slice(0, at);
    if (Object.prototype.hasOwnProperty.call(out, key))
      throw CliFailure.usage(`could not parse flag ${flag}: duplicate key ${JSON.stringify(key)}`);
    Object.defineProperty(out, key, { value: v.slice(at + 1), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

function maxSignatures(inv: Invocation): number {
  const n = inv.flags.int('max-signatures');
  if (n <= 0) throw CliFailure.usage(`max-signatures value ${n} must be a positive number`);
  return n;
}

function tagWarning(verb: string, tag: string | undefined): string {
  return verb === 'sign'
    ? `Warning: Always sign the artifact using digest(@sha256:...) rather than a tag(:${tag ?? ''}) because tags are mutable and a tag reference can point to a different artifact than the one signed.\n`
    : `Warning: Always ${verb} the artifact using digest(@sha256:...) rather than a tag(:${tag ?? ''}) because resolved digest may not point to the same signed artifact, as tags are mutable.\n`;
}

/**
 * the artifact and its repository: a registry reference, or with `--oci-layout` an OCI layout `<path>@<digest>` / `<path>:<tag>`;
 * `forWrite` for `sign` (the registry is read with a push token)
 */
async function target(
  inv: Invocation,
  services: () => NotationServices,
  raw: string,
  forWrite = false,
): Promise<{ ref: ImageReference; repository: NotationRepository }> {
  if (inv.flags.bool('oci-layout')) {
    const ref = parseLayoutReference(raw);
    return { ref, repository: await services().openLayout(ref.name) };
  }
  const ref = parseArtifactReference(raw);
  const repository = await services().openRepository(
    ref,
    { insecure: inv.flags.bool('insecure-registry'), ...credentialsOf(inv, services().env), ...(forWrite ? { forWrite } : {}) },
    (m) => inv.io.err(`${m}\n`),
  );
  return { ref, repository };
}

/**
 * notation's `-u`/`-p` (else `NOTATION_USERNAME`/`NOTATION_PASSWORD`): credentials for the
 * registry instead of docker's. A username without a password is refused as notation does.
 */
function credentialsOf(
  inv: Invocation,
  env: Readonly<Record<string, string | undefined>>,
): { credentials?: { username: string; password: string } } {
  const username = inv.flags.string('username') || env['NOTATION_USERNAME'] || '';
  const password = inv.flags.string('password') || env['NOTATION_PASSWORD'] || '';
  if (username === '' && password === '') return {};
  if (password === '') throw new Error('password is required when username is provided');
  return { credentials: { username, password } };
}

/** notation's `PrintMetadataMap`: a KEY/VALUE table, columns padded by 3 */
function metadataTable(metadata: Record<string, string>): string {
  const rows: Array<[string, string]> = [['KEY', 'VALUE'], ...Object.entries(metadata)];
  const w1 = Math.max(...rows.map(([k]) => k.length)) + 3;
  const w2 = Math.max(...rows.map(([, v]) => v.length)) + 3;
  return `\n${rows.map(([k, v]) => `${k.padEnd(w1)}${v.padEnd(w2)}\n`).join('')}`;
}

export function notationSignatureCommands(services: () => NotationServices): CommandSpec[] {
  const sign: CommandSpec = {
    use: 'sign [flags] <reference>',
    short: 'Sign artifacts',
    long: `Sign artifacts

Note: a signing key must be specified. This can be done temporarily by specifying a key ID, or a new key can be configured using the command "notation key add"

Example - Sign an OCI artifact using the default signing key, with the default JWS envelope, and use OCI image manifest to store the signature:
  notation sign <registry>/<repository>@<digest>

Example - Sign an OCI artifact using the default signing key, with the COSE envelope:
  notation sign --signature-format cose <registry>/<repository>@<digest>

Example - Sign an OCI artifact using a specified key
  notation sign --key <key_name> <registry>/<repository>@<digest>

Example - Sign an OCI artifact identified by a tag (Notation will resolve tag to digest)
  notation sign <registry>/<repository>:<tag>

Example - Sign an OCI artifact stored in a registry and specify the signature expiry duration, for example 24 hours
  notation sign --expiry 24h <registry>/<repository>@<digest>

Example - Sign an OCI artifact and store signature using the Referrers API. If it's not supported, fallback to the Referrers tag schema
  notation sign --force-referrers-tag=false <registry>/<repository>@<digest>
`,
    flags: [
      ...LOGGING,
      INSECURE,
      ...CREDENTIALS,
      {
        name: 'key',
        short: 'k',
        kind: 'string',
        usage:
          "signing key name, for a key previously added to notation's key list. This is mutually exclusive with the --id and --plugin flags",
      },
      { name: 'signature-format', kind: 'string', usage: 'signature envelope format, options: "jws", "cose"', def: 'jws' },
      {
        name: 'expiry',
        short: 'e',
        kind: 'string',
        usage:
          'optional expiry that provides a "best by use" time for the artifact. The duration is specified in minutes(m) and/or hours(h). For example: 12h, 30m, 3h20m',
      },
      { name: 'user-metadata', short: 'm', kind: 'stringArray', usage: '{key}={value} pairs that are added to the signature payload' },
      { name: 'force-referrers-tag', kind: 'bool', usage: 'force to store signatures using the referrers tag schema', def: true },
      { name: 'oci-layout', kind: 'bool', usage: '[Experimental] sign the artifact stored as OCI image layout', hidden: true },
    ],
    run: async (inv) => {
      const raw = reference(inv, 'sign');
      if (inv.flags.bool('oci-layout') && inv.flags.changed('force-referrers-tag'))
        throw CliFailure.usage(
          'if any flags in the group [oci-layout force-referrers-tag] are set none of the others can be; [force-referrers-tag oci-layout] were all set',
        );
      const format = inv.flags.string('signature-format');
      if (format !== 'jws' && format !== 'cose')
        throw new CliFailure(
          `signature format ${JSON.stringify(format)} not supported\nSupported signature envelope formats are "jws" and "cose"`,
        );
      const expiryText = inv.flags.string('expiry');
      const expiryMs = expiryText === '' ? 0 : parseGoDuration(expiryText);
      if (expiryMs === undefined)
        throw CliFailure.usage(
          `invalid argument ${JSON.stringify(expiryText)} for "-e, --expiry" flag: time: invalid duration ${JSON.stringify(expiryText)}`,
        );
      const userMetadata = flagMap(inv.flags.strings('user-metadata'), 'user-metadata');
      const svc = services();
      const signer = await svc.signer(inv.flags.changed('key') ? inv.flags.string('key') : undefined);
      const { ref, repository } = await target(inv, services, raw, true);
      if (ref.digest === undefined) inv.io.err(tagWarning('sign', ref.tag));
      const signed = await signArtifact({
        repository,
        reference: ref,
        signer,
        format,
        now: svc.now(),
        expiryMs,
        forceReferrersTag: inv.flags.bool('force-referrers-tag') && !inv.flags.bool('oci-layout'),
        ...(userMetadata ? { userMetadata } : {}),
      });
      inv.io.out(`Successfully signed ${signed.reference}\n`);
      inv.io.out(`Pushed the signature to ${signed.signatureReference}\n`);
    },
  };

  const verify: CommandSpec = {
    use: 'verify [reference]',
    short: 'Verify OCI artifacts',
    long: `Verify OCI artifacts

Prerequisite: added a certificate into trust store and created a trust policy.

Example - Verify a signature on an OCI artifact identified by a digest:
  notation verify <registry>/<repository>@<digest>

Example - Verify a signature on an OCI artifact identified by a tag  (Notation will resolve tag to digest):
  notation verify <registry>/<repository>:<tag>
`,
    flags: [
      ...LOGGING,
      INSECURE,
      ...CREDENTIALS,
      {
        name: 'user-metadata',
        short: 'm',
        kind: 'stringArray',
        usage: 'user defined {key}={value} pairs that must be present in the signature for successful verification if provided',
      },
      MAX_SIGNATURES,
      referrersApi('verify'),
      { name: 'oci-layout', kind: 'bool', usage: '[Experimental] verify the artifact stored as OCI image layout', hidden: true },
      {
        name: 'scope',
        kind: 'string',
        usage:
          '[Experimental] set trust policy scope for artifact verification, required and can only be used when flag "--oci-layout" is set',
        hidden: true,
      },
    ],
    run: async (inv) => {
      const raw = reference(inv, 'verify');
      const max = maxSignatures(inv);
      const layout = inv.flags.bool('oci-layout');
      if (layout !== inv.flags.changed('scope'))
        throw CliFailure.usage(
          `if any flags in the group [oci-layout scope] are set they must all be set; missing [${layout ? 'scope' : 'oci-layout'}]`,
        );
      const userMetadata = flagMap(inv.flags.strings('user-metadata'), 'user-metadata');
      const svc = services();
      const { ref, repository } = await target(inv, services, raw);
      if (ref.digest === undefined) inv.io.err(tagWarning('verify', ref.tag));
      const detailed = inv.flags.bool('debug') || inv.flags.bool('verbose');
      let result;
      try {
        result = await verifyArtifact({
          repository,
          reference: ref,
          policy: svc.policy(),
          verifier: svc.verifier,
          now: svc.now(),
          maxSignatures: max,
          ...(userMetadata ? { userMetadata } : {}),
          ...(inv.flags.string('scope') !== '' ? { scope: inv.flags.string('scope') } : {}),
        });
      } catch (err) {
        if (err instanceof NotationVerificationError && detailed)
          for (const f of err.failures)
            inv.io.err(`Signature ${f.signatureManifest.digest} failed verification with error: ${f.reason ?? ''} [${f.code ?? ''}]\n`);
        throw err;
      }
      if (detailed)
        for (const f of result.failures)
          inv.io.err(`Signature ${f.signatureManifest.digest} failed verification with error: ${f.reason ?? ''} [${f.code ?? ''}]\n`);
      if (result.skipped) {
        inv.io.out(`Trust policy is configured to skip signature verification for ${result.reference}\n`);
        return;
      }
      for (const w of result.verified?.warnings ?? [])
        inv.io.err(`Warning: ${w.check} was set to "${w.action}" and failed with error: ${w.error ?? ''}\n`);
      inv.io.out(`Successfully verified signature for ${result.reference}\n`);
      const metadata = result.verified?.outcome?.userMetadata;
      if (metadata && Object.keys(metadata).length > 0) {
        inv.io.out('\nThe artifact was signed with the following user metadata.\n');
        inv.io.out(metadataTable(metadata));
      }
    },
  };

  const list: CommandSpec = {
    use: 'list [flags] <reference>',
    short: 'List signatures of the signed artifact',
    long: `List all the signatures associated with signed artifact

Example - List signatures of an OCI artifact:
  notation list <registry>/<repository>@<digest>

Example - List signatures of an OCI artifact identified by a tag (Notation will resolve tag to digest)
  notation list <registry>/<repository>:<tag>
`,
    flags: [
      ...LOGGING,
      INSECURE,
      ...CREDENTIALS,
      MAX_SIGNATURES,
      referrersApi('list'),
      { name: 'oci-layout', kind: 'bool', usage: '[Experimental] list signatures stored in OCI image layout', hidden: true },
    ],
    run: async (inv) => {
      const raw = reference(inv, 'list');
      const max = maxSignatures(inv);
      if (inv.flags.changed('allow-referrers-api'))
        inv.io.err("Warning: flag '--allow-referrers-api' is deprecated and will be removed in future versions.\n");
      const { ref, repository } = await target(inv, services, raw);
      if (ref.digest === undefined) inv.io.err(tagWarning('list', ref.tag));
      inv.io.out(formatSignatureListing(await listSignatures(repository, ref, max)));
    },
  };

  const inspect: CommandSpec = {
    use: 'inspect [reference]',
    short: 'Inspect all signatures associated with the signed artifact',
    long: `Inspect all signatures associated with the signed artifact.

Example - Inspect signatures on an OCI artifact identified by a digest:
  notation inspect <registry>/<repository>@<digest>

Example - Inspect signatures on an OCI artifact identified by a tag  (Notation will resolve tag to digest):
  notation inspect <registry>/<repository>:<tag>

Example - Inspect signatures on an OCI artifact identified by a digest and output as json:
  notation inspect --output json <registry>/<repository>@<digest>
`,
    flags: [
      ...LOGGING,
      INSECURE,
      ...CREDENTIALS,
      { name: 'output', short: 'o', kind: 'string', usage: "output format, options: 'json', 'text'", def: 'text' },
      MAX_SIGNATURES,
      referrersApi('inspect'),
    ],
    run: async (inv) => {
      const raw = reference(inv, 'inspect');
      const max = maxSignatures(inv);
      const output = inv.flags.string('output');
      if (!['json', 'text', 'tree'].includes(output)) throw new CliFailure(`unrecognized output format ${output}`);
      if (inv.flags.changed('allow-referrers-api'))
        inv.io.err("Warning: flag '--allow-referrers-api' is deprecated and will be removed in future versions.\n");
      const ref = parseArtifactReference(raw);
      const repository = await services().openRepository(
        ref,
        { insecure: inv.flags.bool('insecure-registry'), ...credentialsOf(inv, services().env) },
        (m) => inv.io.err(`${m}\n`),
      );
      if (ref.digest === undefined) inv.io.err(tagWarning('inspect', ref.tag));
      const inspection = await inspectSignatures(repository, ref, services().inspector, max);
      for (const w of inspection.skipped) inv.io.err(`${w}\n`);
      inv.io.out(output === 'json' ? formatInspectionJson(inspection) : formatInspectionTree(inspection));
      if (inspection.exceeded) inv.io.out(`Warning: exceeded configured limit of max signatures ${max} to examine\n`);
      if (inspection.skipped.length > 0) throw new CliFailure(SKIPPED_SIGNATURES_MESSAGE);
    },
  };

  return [sign, verify, list, inspect];
}
