import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { CoreError, isDctError } from '../../src/core/errors.js';
import {
  createPassphraseSource,
  EnvPassphraseSource,
  EnvThenPromptPassphraseSource,
  passphraseEnvNames,
  TtyPassphraseSource,
  unlockWithPassphrase,
  type PassphraseSource,
} from '../../src/adapters/passphrase.js';

const KEY_ID = '63cc9496d0a0fee283f489c36c2b4a013b01e4819dea59f75314c3426aa9f956';

/** A fake terminal: answers each prompt (in order) as soon as it is written. */
function fakeTerminal(answers: string[], isTTY = true) {
  const input = Object.assign(new PassThrough(), { isTTY, rawModes: [] as boolean[] });
  Object.assign(input, { setRawMode: (m: boolean) => input.rawModes.push(m) });
  let text = '';
  const output = {
    write(chunk: string) {
      text += chunk;
      if (chunk.endsWith(': ')) {
        const answer = answers.shift();
        if (answer !== undefined) setImmediate(() => input.write(answer));
      }
      return true;
    },
  };
  return { input, output, text: () => text };
}

const rejectsWith = (p: Promise<unknown>, code: string, message?: RegExp) =>
  assert.rejects(p, (err: unknown) => isDctError(err, code) && (!message || message.test((err as Error).message)));

describe('passphrase: environment', () => {
  it('maps roles to docker and notary variables', () => {
    assert.deepEqual(passphraseEnvNames('root', 'docker'), ['DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE']);
    assert.deepEqual(passphraseEnvNames('targets', 'docker'), ['DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE']);
    assert.deepEqual(passphraseEnvNames('alice', 'docker'), ['DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE']);
    assert.deepEqual(passphraseEnvNames('root', 'notary'), ['NOTARY_ROOT_PASSPHRASE']);
    assert.deepEqual(passphraseEnvNames('targets', 'notary'), ['NOTARY_TARGETS_PASSPHRASE']);
    assert.deepEqual(passphraseEnvNames('snapshot', 'notary'), ['NOTARY_SNAPSHOT_PASSPHRASE']);
    assert.deepEqual(passphraseEnvNames('targets/releases', 'notary'), ['NOTARY_DELEGATION_PASSPHRASE']);
    assert.deepEqual(passphraseEnvNames('alice', 'notary'), ['NOTARY_DELEGATION_PASSPHRASE']);
    assert.deepEqual(passphraseEnvNames('timestamp', 'notary'), []);
    assert.deepEqual(passphraseEnvNames('snapshot'), ['DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE', 'NOTARY_SNAPSHOT_PASSPHRASE']);
  });

  it('reads the given env object, docker first in combined mode, empty values unset', async () => {
    const env = {
      DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE: '',
      NOTARY_ROOT_PASSPHRASE: 'notary-root',
      DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE: 'docker-repo',
      NOTARY_TARGETS_PASSPHRASE: 'notary-targets',
      NOTARY_DELEGATION_PASSPHRASE: 'notary-deleg',
    };
    const combined = new EnvPassphraseSource(env);
    assert.equal(await combined.get({ role: 'root', keyId: KEY_ID, isNew: false }), 'notary-root');
    assert.equal(await combined.get({ role: 'targets', keyId: KEY_ID, isNew: false }), 'docker-repo');
    const notary = new EnvPassphraseSource(env, 'notary');
    assert.equal(notary.lookup('targets'), 'notary-targets');
    assert.equal(notary.lookup('targets/ci'), 'notary-deleg');
    assert.equal(notary.lookup('snapshot'), undefined);
    const docker = new EnvPassphraseSource(env, 'docker');
    assert.equal(docker.lookup('root'), undefined);
    assert.equal(docker.lookup('bob'), 'docker-repo');
    assert.equal(combined.canRetry(), false);
  });

  it('without a value: PASSPHRASE_REQUIRED naming the variables to set', async () => {
    await rejectsWith(
      new EnvPassphraseSource({}).get({ role: 'targets', keyId: KEY_ID, isNew: false }),
      'PASSPHRASE_REQUIRED',
      /^no passphrase for the targets key 63cc949: set DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE or NOTARY_TARGETS_PASSPHRASE, or run on a terminal$/,
    );
    const noTty = createPassphraseSource({ env: {}, input: fakeTerminal([], false).input });
    await rejectsWith(noTty.get({ role: 'root', keyId: KEY_ID, isNew: true }), 'PASSPHRASE_REQUIRED', /NOTARY_ROOT_PASSPHRASE/);
  });
});

describe('passphrase: terminal prompt', () => {
  it("prompts with notary's text, without echo, and caches per role", async () => {
    const term = fakeTerminal(['s3cret\r']);
    const tty = new TtyPassphraseSource(term);
    assert.equal(await tty.get({ role: 'targets', keyId: KEY_ID, isNew: false }), 's3cret');
    assert.equal(await tty.get({ role: 'targets', keyId: 'ffff' + KEY_ID, isNew: false }), 's3cret');
    assert.equal(term.text(), 'Enter passphrase for targets key with ID 63cc949: \n');
    assert.deepEqual(term.input.rawModes, [true, false]);
  });

  it('docker style says "repository" for targets/snapshot keys', async () => {
    const term = fakeTerminal(['pw\n']);
    await new TtyPassphraseSource({ ...term, aliasStyle: 'docker' }).get({ role: 'snapshot', keyId: KEY_ID, isNew: false });
    assert.equal(term.text(), 'Enter passphrase for repository key with ID 63cc949: \n');
  });

  it('new keys: at least 8 characters, repeated, with retries', async () => {
    const term = fakeTerminal(['short\n', 'long-enough\n', 'different!\n', 'long-enough\n', 'long-enough\n']);
    const pass = await new TtyPassphraseSource(term).get({ role: 'targets/ci', keyId: KEY_ID, isNew: true });
    assert.equal(pass, 'long-enough');
    assert.equal(
      term.text(),
      'Enter passphrase for new targets/ci key with ID 63cc949: \n' +
        'Passphrase is too short. Please use a password manager to generate and store a good random passphrase.\n' +
        'Enter passphrase for new targets/ci key with ID 63cc949: \n' +
        'Repeat passphrase for new targets/ci key with ID 63cc949: \n' +
        'Passphrases do not match. Please retry.\n' +
        'Enter passphrase for new targets/ci key with ID 63cc949: \n' +
        'Repeat passphrase for new targets/ci key with ID 63cc949: \n',
    );
  });

  it('new root keys get a warning first; too many failures give up', async () => {
    const term = fakeTerminal(['a\n', 'b\n', 'c\n']);
    await rejectsWith(new TtyPassphraseSource(term).get({ role: 'root', keyId: KEY_ID, isNew: true }), 'PASSPHRASE_ATTEMPTS_EXCEEDED');
    assert.match(term.text(), /^You are about to create a new root signing key passphrase\./);
  });

  it('handles backspace, typed-ahead lines and Ctrl-C', async () => {
    const term = fakeTerminal(['abx\u007fc\ndef\n']);
    const tty = new TtyPassphraseSource(term);
    assert.equal(await tty.get({ role: 'root', keyId: KEY_ID, isNew: false }), 'abc');
    assert.equal(await tty.get({ role: 'snapshot', keyId: KEY_ID, isNew: false }), 'def');
    const cancelled = fakeTerminal(['ab\u0003']);
    await rejectsWith(new TtyPassphraseSource(cancelled).get({ role: 'root', keyId: KEY_ID, isNew: false }), 'PASSPHRASE_CANCELLED');
  });

  it('the environment wins over the prompt', async () => {
    const term = fakeTerminal(['typed\n']);
    const source = createPassphraseSource({ env: { NOTARY_TARGETS_PASSPHRASE: 'from-env' }, ...term });
    assert.ok(source instanceof EnvThenPromptPassphraseSource);
    assert.equal(await source.get({ role: 'targets', keyId: KEY_ID, isNew: false }), 'from-env');
    assert.equal(await source.get({ role: 'root', keyId: KEY_ID, isNew: false }), 'typed');
    assert.equal(source.canRetry({ role: 'targets', keyId: KEY_ID, isNew: false, attempt: 1 }), false);
    assert.equal(source.canRetry({ role: 'root', keyId: KEY_ID, isNew: false, attempt: 1 }), true);
  });
});

describe('passphrase: unlockWithPassphrase', () => {
  const wrong = () => new CoreError('WRONG_PASSPHRASE', 'incorrect passphrase');
  const unlocker = (right: string, tried: string[]) => (p: string) => {
    tried.push(p);
    if (p !== right) throw wrong();
    return `unlocked with ${p}`;
  };

  it('tries the empty passphrase first (unencrypted keys need no prompt)', async () => {
    const tried: string[] = [];
    const source: PassphraseSource = { get: () => assert.fail('must not ask') };
    assert.equal(await unlockWithPassphrase(source, { role: 'root', keyId: KEY_ID }, unlocker('', tried)), 'unlocked with ');
    assert.deepEqual(tried, ['']);
  });

  it('retries a terminal up to 3 times with "Passphrase incorrect. Please retry."', async () => {
    const term = fakeTerminal(['one\n', 'two\n', 'three\n', 'four\n']);
    const tried: string[] = [];
    const source = createPassphraseSource({ env: {}, ...term });
    assert.equal(await unlockWithPassphrase(source, { role: 'targets', keyId: KEY_ID }, unlocker('three', tried)), 'unlocked with three');
    assert.deepEqual(tried, ['', 'one', 'two', 'three']);
    assert.equal((term.text().match(/Passphrase incorrect\. Please retry\./g) ?? []).length, 2);
    const tried2: string[] = [];
    const term2 = fakeTerminal(['a\n', 'b\n', 'c\n', 'd\n']);
    await rejectsWith(
      unlockWithPassphrase(createPassphraseSource({ env: {}, ...term2 }), { role: 'root', keyId: KEY_ID }, unlocker('d', tried2)),
      'WRONG_PASSPHRASE',
      /incorrect passphrase for the root key 63cc949/,
    );
    assert.deepEqual(tried2, ['', 'a', 'b', 'c']);
  });

  it('does not retry an environment passphrase; other errors pass through', async () => {
    const tried: string[] = [];
    const source = createPassphraseSource({ env: { NOTARY_ROOT_PASSPHRASE: 'bad' }, ...fakeTerminal([]) });
    await rejectsWith(unlockWithPassphrase(source, { role: 'root', keyId: KEY_ID }, unlocker('good', tried)), 'WRONG_PASSPHRASE');
    assert.deepEqual(tried, ['', 'bad']);
    const boom = () => {
      throw new CoreError('MALFORMED_PEM', 'not a key');
    };
    await rejectsWith(unlockWithPassphrase(source, { role: 'root', keyId: KEY_ID }, boom), 'MALFORMED_PEM');
  });
});
