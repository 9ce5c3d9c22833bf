/** Where a cosign key password comes from: COSIGN_PASSWORD (even empty), a no-echo terminal prompt, or stdin. */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import { cosignPasswordSource, type PasswordInput } from '../../../src/adapters/cosign/password.js';
import { isDctError } from '../../../src/core/errors.js';

/** a terminal (or pipe) that types each of `lines` when read */
function input(isTTY: boolean, chunks: string[]): PasswordInput & { rawModes: boolean[] } {
  const e = new EventEmitter() as PasswordInput & { rawModes: boolean[] };
  e.isTTY = isTTY;
  e.rawModes = [];
  e.setRawMode = (m: boolean) => e.rawModes.push(m);
  // a stream: flowing after resume, one chunk per tick, held while paused
  let flowing = false;
  const pump = () => {
    if (!flowing) return;
    const next = chunks.shift();
    if (next === undefined) {
      flowing = false;
      e.emit('end');
      return;
    }
    e.emit('data', Buffer.from(next));
    setImmediate(pump);
  };
  e.pause = () => {
    flowing = false;
  };
  e.resume = () => {
    if (flowing) return;
    flowing = true;
    setImmediate(pump);
  };
  return e;
}

describe('cosignPasswordSource', () => {
  it('COSIGN_PASSWORD wins, even when empty; nothing is prompted', async () => {
    let prompted = '';
    const out = { write: (s: string) => (prompted += s) };
    assert.equal(await cosignPasswordSource({ env: { COSIGN_PASSWORD: '' }, input: input(true, []), output: out })(true), '');
    assert.equal(await cosignPasswordSource({ env: { COSIGN_PASSWORD: 'x' }, input: input(true, []), output: out })(false), 'x');
    assert.equal(prompted, '');
  });
  it('a terminal: cosign prompts, raw mode, backspace, twice for a new password', async () => {
    let prompted = '';
    const tty = input(true, ['pa', 'sx\u007fs\r', 'pass\r']);
    const pw = await cosignPasswordSource({ env: {}, input: tty, output: { write: (s: string) => (prompted += s) } })(true);
    assert.equal(pw, 'pass');
    assert.equal(prompted, 'Enter password for private key: \nEnter password for private key again: \n');
    assert.deepEqual(tty.rawModes, [true, false, true, false]);
  });
  it('a terminal, two different passwords: COSIGN_PASSWORD_MISMATCH (cosign text)', async () => {
    const tty = input(true, ['one\r', 'two\r']);
    await assert.rejects(cosignPasswordSource({ env: {}, input: tty, output: { write: () => undefined } })(true), (e: unknown) => {
      assert.ok(isDctError(e, 'COSIGN_PASSWORD_MISMATCH'));
      assert.equal(e.message, 'passwords do not match');
      return true;
    });
  });
  it('no terminal: all of stdin, as is', async () => {
    assert.equal(
      await cosignPasswordSource({ env: {}, input: input(false, ['piped ', 'secret\n']), output: { write: () => undefined } })(false),
      'piped secret\n',
    );
  });
});
