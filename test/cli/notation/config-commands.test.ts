/**
 * `dct notation cert | key | policy` end to end on a temporary configuration directory
 * (`NOTATION_CONFIG`): notation's output lines, files and modes, its error texts (`Error: …`,
 * exit 1), and bad input. The commands are mounted as the notation root will mount them.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { isCliFailure } from '../../../src/cli/cli-failure.js';
import { Command } from '../../../src/cli/cobra/command.js';
import { find } from '../../../src/cli/cobra/find.js';
import { parseFlags } from '../../../src/cli/cobra/flags.js';
import { notationConfigCommands } from '../../../src/cli/commands/notation/config-commands.js';
import { isDctError } from '../../../src/core/errors.js';
import { fixturePath } from '../../support/fixtures.js';

const temp = mkdtempSync(join(tmpdir(), 'dct-notation-cli-'));
after(() => rmSync(temp, { recursive: true, force: true }));
const NOW = new Date('2026-03-01T10:20:30Z');

interface Result {
  code: number;
  out: string;
  err: string;
  errorCode?: string;
}

/** Runs `notation ARGS` as cobra runs it (SilenceUsage: errors print as `Error: …`, exit 1). */
async function notation(configDir: string, args: string[], answers: string[] = []): Promise<Result> {
  const root = new Command({
    use: 'notation',
    short: 'Notation - a tool to sign and verify artifacts',
    commands: notationConfigCommands({
      env: { NOTATION_CONFIG: configDir },
      now: () => NOW,
      readLine: () => Promise.resolve(answers.shift()),
    }),
  });
  let out = '';
  let err = '';
  const io = { out: (s: string) => void (out += s), err: (s: string) => void (err += s) };
  try {
    const found = find(root, args);
    const { flags, positional } = parseFlags(found.cmd, found.args);
    if (flags.bool('help') || !found.cmd.runnable) io.out(found.cmd.helpString());
    else await found.cmd.spec.run?.({ command: found.cmd, args: positional, flags, io, usage: () => io.out(found.cmd.usageString()) });
    return { code: 0, out, err };
  } catch (e) {
    if (!isCliFailure(e) && !isDctError(e)) throw e;
    err += `Error: ${e.message}\n`;
    return { code: 1, out, err, ...(isDctError(e) ? { errorCode: e.code } : {}) };
  }
}

let n = 0;
const fresh = () => join(temp, `c${n++}`);
const policy = (name: string) => fixturePath('notation', 'notation-cli', 'trustpolicies', name);
const localkey = (name: string) => fixturePath('notation', 'notation-cli', 'localkeys', name);

describe('notation cert generate-test', () => {
  it('writes the key, the certificate, the key list and the trust store, and prints notation lines', async () => {
    const dir = fresh();
    const r = await notation(dir, ['cert', 'generate-test', '--default', 'wabbit-networks.io']);
    assert.equal(r.code, 0, r.err);
    const keyPath = join(dir, 'localkeys', 'wabbit-networks.io.key');
    const certPath = join(dir, 'localkeys', 'wabbit-networks.io.crt');
    assert.equal(
      r.out,
      [
        'generating RSA Key with 2048 bits',
        'generated certificate expiring on 2026-03-02T10:20:30Z',
        `wrote key: ${keyPath}`,
        `wrote certificate: ${certPath}`,
        'Successfully added wabbit-networks.io.crt to named store wabbit-networks.io of type ca',
        'wabbit-networks.io: added to the key list',
        'wabbit-networks.io: marked as default signing key',
        '',
      ].join('\n'),
    );
    assert.equal(statSync(keyPath).mode & 0o777, 0o600);
    assert.match(readFileSync(keyPath, 'utf8'), /^-----BEGIN PRIVATE KEY-----/);
    const cert = new X509Certificate(readFileSync(certPath));
    assert.equal(cert.subject, 'C=US\nST=WA\nL=Seattle\nO=Notary\nCN=wabbit-networks.io');
    assert.deepEqual(cert.keyUsage, ['1.3.6.1.5.5.7.3.3']);
    assert.ok(existsSync(join(dir, 'truststore', 'x509', 'ca', 'wabbit-networks.io', 'wabbit-networks.io.crt')));
    assert.deepEqual(JSON.parse(readFileSync(join(dir, 'signingkeys.json'), 'utf8')), {
      default: 'wabbit-networks.io',
      keys: [{ name: 'wabbit-networks.io', keyPath, certPath }],
    });
  });
  it('refuses a bad name, a missing name, a name in use, and an insecure key size', async () => {
    const dir = fresh();
    assert.deepEqual(await notation(dir, ['cert', 'generate-test', 'a/b']), {
      code: 1,
      out: '',
      err: 'Error: name needs to follow [a-zA-Z0-9_.-]+ format\n',
      errorCode: 'NOTATION_NAME_INVALID',
    });
    assert.equal((await notation(dir, ['cert', 'generate-test'])).err, 'Error: missing certificate common_name\n');
    assert.equal((await notation(dir, ['cert', 'generate-test', 'k'])).code, 0);
    const again = await notation(dir, ['cert', 'generate-test', 'k']);
    assert.equal(again.errorCode, 'NOTATION_SIGNING_KEY_EXISTS');
    assert.match(again.err, /^Error: failed to write key file: open .*k\.key: file exists\n$/);
    const small = await notation(dir, ['cert', 'generate-test', '--bits', '512', 'small']);
    assert.equal(small.errorCode, 'NOTATION_SIGNING_KEY_INVALID');
  });
});

describe('notation cert cleanup-test', () => {
  it('undoes generate-test after confirmation, and reports what was already gone', async () => {
    const dir = fresh();
    await notation(dir, ['cert', 'generate-test', '--default', 'tmp']);
    const keyPath = join(dir, 'localkeys', 'tmp.key');
    const certPath = join(dir, 'localkeys', 'tmp.crt');
    const cancelled = await notation(dir, ['cert', 'cleanup-test', 'tmp'], ['N']);
    assert.match(
      cancelled.out,
      /^The test key tmp and its corresponding certificate will be cleaned up with the following changes:\n- Delete certificate tmp.crt from trust store tmp of type ca\n/,
    );
    assert.match(cancelled.out, /Are you sure you want to continue\? \[y\/N\] Operation cancelled.\n$/);
    assert.ok(existsSync(keyPath));
    const done = await notation(dir, ['cert', 'cleanup-test', '-y', 'tmp']);
    assert.equal(
      done.out,
      [
        'Successfully deleted tmp.crt from trust store tmp of type ca',
        'Successfully removed key tmp from the key list',
        `Successfully deleted key file: ${keyPath}`,
        `Successfully deleted certificate file: ${certPath}`,
        'Cleanup completed successfully',
        '',
      ].join('\n'),
    );
    assert.equal(existsSync(join(dir, 'truststore', 'x509', 'ca', 'tmp')), false);
    assert.deepEqual(JSON.parse(readFileSync(join(dir, 'signingkeys.json'), 'utf8')), { keys: [] });
    const again = await notation(dir, ['cert', 'cleanup-test', '-y', 'tmp']);
    assert.equal(
      again.out,
      [
        'Certificate tmp.crt does not exist in trust store tmp of type ca',
        'Key tmp does not exist in the key list',
        `Key file ${keyPath} does not exist`,
        `Certificate file ${certPath} does not exist`,
        'Cleanup completed successfully',
        '',
      ].join('\n'),
    );
    assert.equal(
      (await notation(dir, ['cert', 'cleanup-test', '-y', '../x'])).err,
      'Error: certificate common name must follow [a-zA-Z0-9_.-]+ format\n',
    );
  });
});

describe('notation cert add | ls | show | delete', () => {
  const dir = fresh();
  it('adds certificates, reporting the ones that failed', async () => {
    const r = await notation(dir, [
      'cert',
      'add',
      '--type',
      'ca',
      '--store',
      'e2e',
      localkey('e2e.crt'),
      fixturePath('notation', 'notation-cli', 'timestamp', 'invalid.crt'),
    ]);
    assert.equal(r.code, 1);
    assert.equal(r.out, `Successfully added following certificates to named store e2e of type ca:\n${localkey('e2e.crt')}\n`);
    assert.equal(
      r.err,
      `Error: Failed to add following certificates to named store e2e of type ca:\n${fixturePath('notation', 'notation-cli', 'timestamp', 'invalid.crt')}, with error "x509: malformed certificate"\n\n`,
    );
    assert.equal(
      (
        await notation(dir, [
          'cert',
          'add',
          '-t',
          'tsa',
          '-s',
          'ts',
          fixturePath('notation', 'notation-cli', 'timestamp', 'globalsignTSARoot.cer'),
        ])
      ).code,
      0,
    );
  });
  it('checks the type, the store name and the required flags first', async () => {
    assert.equal(
      (await notation(dir, ['cert', 'add', '-t', 'root', '-s', 'x', localkey('e2e.crt')])).err,
      'Error: unsupported store type: root\n',
    );
    assert.equal(
      (await notation(dir, ['cert', 'add', '-t', 'ca', '-s', 'a b', localkey('e2e.crt')])).err,
      'Error: named store name needs to follow [a-zA-Z0-9_.-]+ format\n',
    );
    assert.equal((await notation(dir, ['cert', 'add', localkey('e2e.crt')])).err, 'Error: required flag(s) "store", "type" not set\n');
    assert.equal((await notation(dir, ['cert', 'add', '-t', 'ca', '-s', 'x'])).err, 'Error: missing certificate path\n');
  });
  it('lists as notation (tabwriter columns, trailing padding), filtered by type or store', async () => {
    const all = await notation(dir, ['cert', 'ls']);
    assert.equal(
      all.out,
      'STORE TYPE   STORE NAME   CERTIFICATE             \n' +
        'ca           e2e          e2e.crt                 \n' +
        'tsa          ts           globalsignTSARoot.cer   \n',
    );
    assert.equal(
      (await notation(dir, ['certificate', 'list', '--type', 'ca'])).out,
      'STORE TYPE   STORE NAME   CERTIFICATE   \nca           e2e          e2e.crt       \n',
    );
    assert.equal((await notation(dir, ['cert', 'ls', '--store', 'ts'])).out.split('\n').length, 3);
    assert.equal((await notation(dir, ['cert', 'ls', '--type', 'bogus'])).out, '');
    assert.equal((await notation(fresh(), ['cert', 'ls'])).out, '');
  });
  it('shows a stored certificate as notation does', async () => {
    const r = await notation(dir, ['cert', 'show', '--type', 'ca', '--store', 'e2e', 'e2e.crt']);
    assert.equal(r.code, 0, r.err);
    const cert = new X509Certificate(readFileSync(localkey('e2e.crt')));
    assert.equal(
      r.out,
      [
        'Certificate details',
        '-'.repeat(80),
        'Issuer: CN=e2e,O=Notary,L=Seattle,ST=WA,C=US',
        'Subject: CN=e2e,O=Notary,L=Seattle,ST=WA,C=US',
        `Valid from: ${new Date(cert.validFrom).toISOString().slice(0, 19).replace('T', ' ')} +0000 UTC`,
        `Valid to: ${new Date(cert.validTo).toISOString().slice(0, 19).replace('T', ' ')} +0000 UTC`,
        `IsCA: ${String(cert.ca)}`,
        `SHA256 Thumbprint: ${cert.fingerprint256.replaceAll(':', '').toLowerCase()}`,
        '',
      ].join('\n'),
    );
    const missing = await notation(dir, ['cert', 'show', '-t', 'ca', '-s', 'e2e', 'nope.crt']);
    assert.equal(missing.errorCode, 'NOTATION_CERTIFICATE_NOT_FOUND');
    assert.match(
      missing.err,
      /^Error: failed to show details of certificate nope\.crt, with error: open .*nope\.crt: no such file or directory\n$/,
    );
    assert.equal(
      (await notation(dir, ['cert', 'show', '-t', 'ca', '-s', 'e2e', 'a', 'b'])).err,
      'Error: show only supports single certificate file\n',
    );
  });
  it('deletes after confirmation, or with --yes', async () => {
    const cancelled = await notation(dir, ['cert', 'delete', '-t', 'ca', '-s', 'e2e', 'e2e.crt'], ['n']);
    assert.equal(cancelled.out, 'Are you sure you want to delete "e2e.crt" in "e2e" of type "ca"? [y/N] Operation cancelled.\n');
    assert.ok(existsSync(join(dir, 'truststore', 'x509', 'ca', 'e2e', 'e2e.crt')));
    const yes = await notation(dir, ['cert', 'delete', '-t', 'ca', '-s', 'e2e', 'e2e.crt'], ['y']);
    assert.match(yes.out, /\[y\/N\] Successfully deleted e2e\.crt from trust store e2e of type ca\n$/);
    assert.equal(existsSync(join(dir, 'truststore', 'x509', 'ca', 'e2e')), false);
    const all = await notation(dir, ['cert', 'delete', '-t', 'tsa', '-s', 'ts', '--all', '-y']);
    assert.equal(all.out, `Successfully deleted ${join(dir, 'truststore', 'x509', 'tsa', 'ts')}\n`);
    const gone = await notation(dir, ['cert', 'delete', '-t', 'tsa', '-s', 'ts', '--all', '-y']);
    assert.equal(gone.errorCode, 'NOTATION_TRUST_STORE_NOT_FOUND');
    assert.match(gone.err, /^Error: failed to delete the named trust store: stat .*: no such file or directory\n$/);
    assert.equal(
      (await notation(dir, ['cert', 'delete', '-t', 'ca', '-s', 'e2e', '--all', 'x.crt'])).err,
      'Error: cannot delete a single certificate file when --all flag is set. use --help flag for more details\n',
    );
  });
});

describe('notation key', () => {
  it('lists keys with the default marked, changes the default, deletes keys', async () => {
    const dir = fresh();
    await notation(dir, ['cert', 'generate-test', 'one']);
    await notation(dir, ['cert', 'generate-test', '--default', 'two']);
    const ls = await notation(dir, ['key', 'ls']);
    const lines = ls.out.split('\n');
    assert.match(lines[0] ?? '', /^NAME {3,}KEY PATH {3,}CERTIFICATE PATH {3,}ID {3}PLUGIN NAME {3}$/);
    assert.ok(lines[1]?.startsWith('one '));
    assert.ok(lines[2]?.startsWith('* two '));
    assert.equal((await notation(dir, ['key', 'update', '--default', 'one'])).out, 'one: marked as default\n');
    assert.equal((await notation(dir, ['key', 'set', 'two'])).err, 'Warning: --default flag is not set, command did not take effect\n');
    const unknown = await notation(dir, ['key', 'update', '--default', 'three']);
    assert.deepEqual([unknown.errorCode, unknown.err], ['NOTATION_SIGNING_KEY_NOT_FOUND', 'Error: signing key three not found\n']);
    assert.equal(
      (await notation(dir, ['key', 'delete', 'one'])).out,
      'Removed default key one from Notation signing key list. The source key still exists.\n',
    );
    assert.ok(existsSync(join(dir, 'localkeys', 'one.key')), 'the key file stays');
    await notation(dir, ['cert', 'generate-test', '--default', 'three']);
    assert.equal(
      (await notation(dir, ['key', 'delete', 'two', 'three'])).out,
      'Removed the following keys from Notation signing key list. The source keys still exist.\ntwo\nthree (default)\n',
    );
    assert.equal((await notation(dir, ['key', 'delete', 'nope'])).errorCode, 'NOTATION_SIGNING_KEY_NOT_FOUND');
  });
  it('key add: plugins are refused as notation refuses a missing one; a local pair is registered (dct)', async () => {
    const dir = fresh();
    assert.equal((await notation(dir, ['key', 'add', 'k'])).err, 'Error: required flag(s) "plugin" not set\n');
    assert.equal((await notation(dir, ['key', 'add', '--plugin', 'p', 'k'])).err, 'Error: missing key id\n');
    const plugin = await notation(dir, ['key', 'add', '--plugin', 'p', '--id', 'i', 'k']);
    assert.equal(plugin.errorCode, 'NOTATION_PLUGIN_NOT_FOUND');
    assert.match(
      plugin.err,
      /plugin executable file is either not found or inaccessible: stat .*plugins\/p\/notation-p: no such file or directory/,
    );
    const local = await notation(dir, [
      'key',
      'add',
      '--key-file',
      localkey('e2e.key'),
      '--cert-file',
      localkey('e2e.crt'),
      '--default',
      'e2e',
    ]);
    assert.equal(local.out, 'e2e: marked as default\n');
    assert.match((await notation(dir, ['key', 'ls'])).out, /\n\* e2e {3}/);
    const mismatch = await notation(dir, [
      'key',
      'add',
      '--key-file',
      localkey('e2e.key'),
      '--cert-file',
      localkey('expired_e2e.crt'),
      'x',
    ]);
    assert.equal(mismatch.errorCode, 'NOTATION_SIGNING_KEY_INVALID');
  });
  it('a malformed signingkeys.json is refused with its code', async () => {
    const dir = fresh();
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'signingkeys.json'),
      readFileSync(fixturePath('notation', 'notation-go', 'config', 'malformed-invalid-default', 'signingkeys.json')),
    );
    const r = await notation(dir, ['key', 'ls']);
    assert.deepEqual(
      [r.code, r.errorCode, r.err],
      [1, 'NOTATION_SIGNING_KEYS_MALFORMED', "Error: malformed signingkeys.json: default key 'missing-default' not found\n"],
    );
  });
});

describe('notation policy import | show', () => {
  it('imports a valid policy, shows it byte for byte, asks before overwriting', async () => {
    const dir = fresh();
    const r = await notation(dir, ['policy', 'import', policy('trustpolicy.json')]);
    assert.equal(r.out, `Successfully imported OCI trust policy configuration to ${join(dir, 'trustpolicy.oci.json')}.\n`);
    assert.equal(statSync(join(dir, 'trustpolicy.oci.json')).mode & 0o777, 0o600);
    assert.equal((await notation(dir, ['policy', 'show'])).out, readFileSync(policy('trustpolicy.json'), 'utf8'));
    const no = await notation(dir, ['policy', 'import', policy('audit_trustpolicy.json')], ['no']);
    assert.equal(no.out, 'The OCI trust policy configuration already exists, do you want to overwrite it? [y/N] Operation cancelled.\n');
    const forced = await notation(dir, ['policy', 'import', '--force', policy('audit_trustpolicy.json')]);
    assert.equal(forced.err, 'Warning: existing OCI trust policy configuration will be overwritten\n');
    assert.equal((await notation(dir, ['policy', 'show'])).out, readFileSync(policy('audit_trustpolicy.json'), 'utf8'));
  });
  it('refuses invalid policies before writing anything', async () => {
    const dir = fresh();
    const invalid = await notation(dir, ['policy', 'import', policy('malformed_trust_store_trustpolicy.json')]);
    assert.equal(
      invalid.err,
      'Error: failed to validate OCI trust policy configuration: oci trust policy: trust policy statement "e2e" uses an unsupported trust store name "" in trust store value "ca:". Named store name needs to follow [a-zA-Z0-9_.-]+ format\n',
    );
    const malformed = await notation(dir, ['policy', 'import', policy('invalid_format_trustpolicy.json')]);
    assert.equal(malformed.errorCode, 'NOTATION_POLICY_MALFORMED');
    assert.match(malformed.err, /^Error: failed to parse OCI trust policy configuration: /);
    const missing = await notation(dir, ['policy', 'import', join(dir, 'none.json')]);
    assert.equal(
      missing.err,
      `Error: failed to read OCI trust policy configuration: open ${join(dir, 'none.json')}: no such file or directory\n`,
    );
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'huge.json'), Buffer.alloc(5 * 1024 * 1024, 0x20));
    assert.equal((await notation(dir, ['policy', 'import', join(dir, 'huge.json')])).errorCode, 'NOTATION_CONFIG_TOO_LARGE');
    assert.equal(existsSync(join(dir, 'trustpolicy.oci.json')), false);
    assert.match((await notation(dir, ['policy', 'import'])).err, /^Error: requires 1 argument but received 0\./);
  });
  it('show: none, the old file (deprecated), an invalid one (shown, then the error)', async () => {
    const dir = fresh();
    assert.equal(
      (await notation(dir, ['policy', 'show'])).err,
      'Error: failed to show OCI trust policy as it does not exist.\nYou can import one using `notation policy import <path-to-policy.json>`\n',
    );
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'trustpolicy.json'), readFileSync(policy('trustpolicy.json')));
    const old = await notation(dir, ['policy', 'show']);
    assert.equal(old.code, 0);
    assert.match(old.err, /^Warning: old trust policy `trustpolicy.json` is deprecated/);
    const imported = await notation(dir, ['policy', 'import', '--force', policy('permissive_trustpolicy.json')]);
    assert.match(imported.out, /^Deleted old trust policy configuration trustpolicy.json.\n/);
    assert.equal(existsSync(join(dir, 'trustpolicy.json')), false);
    writeFileSync(join(dir, 'trustpolicy.oci.json'), readFileSync(policy('wildcard_trust_store_trustpolicy.json')));
    const bad = await notation(dir, ['policy', 'show']);
    assert.equal(bad.code, 1);
    assert.equal(bad.out, readFileSync(policy('wildcard_trust_store_trustpolicy.json'), 'utf8'));
    assert.match(
      bad.err,
      /^Existing OCI trust policy configuration is invalid, .*\nError: oci trust policy: trust policy statement "e2e" has malformed trust store value "\*"/,
    );
  });
});
