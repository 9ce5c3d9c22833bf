/**
 * The htpasswd user file of `dct server`'s token auth: bcrypt entries as
 * `htpasswd -B` writes them, other formats refused naming the line and user,
 * constant work for unknown users, and re-reading the file when it changes.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Htpasswd, HtpasswdFile, parseHtpasswd } from '../../src/server/auth/htpasswd.js';
import { bcryptLine } from './auth-support.js';

describe('htpasswd', () => {
  it('reads bcrypt entries ($2y$, $2a$, $2b$), skips blank lines and comments, verifies passwords', async () => {
    const y = bcryptLine('yves', 'pw-y');
    const a = bcryptLine('anna', 'pw-a').replace('$2y$', '$2a$');
    const b = bcryptLine('bert', 'pw-b').replace('$2y$', '$2b$');
    const table = Htpasswd.fromText(`# users\n${y}\n\n${a}\r\n${b}\n`);
    assert.equal(table.size, 3);
    assert.equal(await table.verify('yves', 'pw-y'), true);
    assert.equal(await table.verify('anna', 'pw-a'), true);
    assert.equal(await table.verify('bert', 'pw-b'), true);
    assert.equal(await table.verify('yves', 'pw-a'), false);
    assert.equal(await table.verify('yves', ''), false);
    assert.equal(await table.verify('nobody', 'pw-y'), false);
    // remembered successes do not outlive a wrong password
    assert.equal(await table.verify('yves', 'pw-y'), true);
    assert.equal(await table.verify('yves', 'pw-y '), false);
  });

  it('refuses other formats, naming the line and the user', () => {
    const good = bcryptLine('ok', 'pw');
    const cases: Array<[string, RegExp]> = [
      [
        'alice:$apr1$Vd2Tl0Xy$Y6pXq4rYqjYcE8PMNkJRa/',
        /line 2: user "alice" has an Apache MD5 \(\$apr1\$\) hash; only bcrypt entries \(\$2y\$, \$2a\$, \$2b\$\)/,
      ],
      ['alice:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=', /line 2: user "alice" has a \{SHA\} hash/],
      ['alice:plaintext', /line 2: user "alice" has not a bcrypt hash/],
      ['alice:$6$salt$abcdef', /line 2: user "alice" has a \$6\$ hash/],
      ['no-colon-here', /line 2: expected "user:bcrypt-hash"/],
      [`${good.replace('ok:', 'dup:')}\n${good.replace('ok:', 'dup:')}`, /line 3: user "dup" appears twice/],
    ];
    for (const [line, message] of cases) {
      assert.throws(
        () => parseHtpasswd(`${good}\n${line}\n`, 'users.htpasswd'),
        (err: Error & { code?: string }) => {
          assert.equal(err.code, 'INVALID_CONFIG');
          assert.match(err.message, /^users\.htpasswd /);
          assert.match(err.message, message);
          return true;
        },
      );
    }
  });

  it('takes as long for an unknown user as for a wrong password (a bcrypt comparison either way)', async () => {
    const table = Htpasswd.fromText(`${bcryptLine('known', 'pw', 8)}\n${bcryptLine('other', 'pw', 8)}`);
    const time = async (user: string) => {
      const runs: number[] = [];
      for (let i = 0; i < 3; i++) {
        const t = process.hrtime.bigint();
        await table.verify(user, 'wrong');
        runs.push(Number(process.hrtime.bigint() - t));
      }
      return runs.sort((x, y) => x - y)[1] as number;
    };
    const known = await time('known');
    const unknown = await time('unknown');
    assert.ok(unknown > known * 0.4 && unknown < known * 2.5, `unknown user ${unknown} ns vs wrong password ${known} ns`);
  });

  it('an htpasswd file is re-read when it changes; a broken version keeps the previous users', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dct-htpasswd-'));
    try {
      const file = join(dir, 'users');
      writeFileSync(file, bcryptLine('first', 'pw1') + '\n');
      const errors: string[] = [];
      const users = await HtpasswdFile.open(file, { checkEveryMs: 0, onReloadError: (e) => errors.push(e.message) });
      assert.equal(await users.verify('first', 'pw1'), true);
      assert.equal(await users.verify('second', 'pw2'), false);
      writeFileSync(file, `${bcryptLine('first', 'pw1')}\n${bcryptLine('second', 'pw2')}\n`);
      assert.equal(await users.verify('second', 'pw2'), true);
      writeFileSync(file, `${bcryptLine('first', 'pw1')}\nthird:$apr1$x$y\n`);
      assert.equal(await users.verify('second', 'pw2'), true);
      assert.equal(errors.length, 1);
      assert.match(errors[0] as string, /line 2: user "third"/);
      await assert.rejects(HtpasswdFile.open(join(dir, 'missing')), /cannot read the htpasswd file/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
