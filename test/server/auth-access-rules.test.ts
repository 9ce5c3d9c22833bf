/**
 * The access rules of `dct server`'s token auth: globs over repository names
 * (`*`, `${user}`), the actions a user is granted in request order, anonymous
 * pull and the default rules, and malformed rules refused with their position.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AccessRules, globMatch, parseAccessRules } from '../../src/server/auth/access-rules.js';

describe('access rules', () => {
  it('globs: * matches any characters including /, ${user} the user name', () => {
    assert.equal(globMatch('*', 'docker.io/library/alpine'), true);
    assert.equal(globMatch('docker.io/library/*', 'docker.io/library/alpine'), true);
    assert.equal(globMatch('docker.io/library/*', 'docker.io/library/a/b'), true);
    assert.equal(globMatch('docker.io/library/*', 'docker.io/other/alpine'), false);
    assert.equal(globMatch('docker.io/library/*', 'docker.io/library'), false);
    assert.equal(globMatch('127.0.0.1:5000/*/app', '127.0.0.1:5000/team/app'), true);
    assert.equal(globMatch('127.0.0.1:5000/*/app', '127.0.0.1:5000/team/app2'), false);
    assert.equal(globMatch('a*b*c', 'abc'), true);
    assert.equal(globMatch('a*b*c', 'acb'), false);
    assert.equal(globMatch('exact/name', 'exact/name'), true);
    assert.equal(globMatch('exact/name', 'exact/name2'), false);
    assert.equal(globMatch('r.io/${user}/*', 'r.io/ann/x', 'ann'), true);
    assert.equal(globMatch('r.io/${user}/*', 'r.io/bob/x', 'ann'), false);
    assert.equal(globMatch('r.io/${user}/*', 'r.io/ann/x'), false);
    // a user name is literal text, not a glob
    assert.equal(globMatch('r.io/${user}/x', 'r.io/anything/x', '*'), false);
  });

  it('granted(user, gun, requested): the requested actions the rules hold, in request order', () => {
    const rules = new AccessRules(
      parseAccessRules([
        { user: 'ci', repositories: 'r.io/team/*', actions: ['push', 'pull'] },
        { user: 'admin', repositories: '*', actions: ['*'] },
        { user: '*', repositories: 'r.io/public/*', actions: ['pull'] },
        { user: '*', repositories: 'r.io/home/${user}/*', actions: ['*'] },
      ]),
    );
    assert.deepEqual(rules.granted('ci', 'r.io/team/app', ['pull', 'push']), ['pull', 'push']);
    assert.deepEqual(rules.granted('ci', 'r.io/team/app', ['push', 'pull', 'push']), ['push', 'pull']);
    assert.deepEqual(rules.granted('ci', 'r.io/team/app', ['*']), []);
    assert.deepEqual(rules.granted('ci', 'r.io/other/app', ['pull']), []);
    assert.deepEqual(rules.granted('ci', 'r.io/public/x', ['pull', 'push']), ['pull']);
    assert.deepEqual(rules.granted('admin', 'anything', ['pull', 'push', '*', 'delete']), ['pull', 'push', '*', 'delete']);
    assert.deepEqual(rules.granted('eve', 'r.io/home/eve/app', ['*']), ['*']);
    assert.deepEqual(rules.granted('eve', 'r.io/home/ci/app', ['pull']), []);
    assert.deepEqual(rules.granted(undefined, 'r.io/public/x', ['pull']), [], 'rules never match anonymous clients');
    assert.equal(rules.catalogGranted('admin'), true);
    assert.equal(rules.catalogGranted('ci'), false);
    assert.equal(rules.catalogGranted(undefined), false);
  });

  it('anonymous pull when enabled; default rules give every user everything', () => {
    const anon = new AccessRules(undefined, { anonymousPull: true });
    assert.deepEqual(anon.granted(undefined, 'x/y', ['pull', 'push']), ['pull']);
    assert.deepEqual(anon.granted('someone', 'x/y', ['pull', 'push', '*']), ['pull', 'push', '*']);
    assert.deepEqual(new AccessRules().granted(undefined, 'x/y', ['pull']), []);
  });

  it('refuses malformed rules with their position', () => {
    assert.throws(() => parseAccessRules({}), /must be a list/);
    assert.throws(() => parseAccessRules([{ user: 'a', repositories: '*', actions: ['pull', 'delete'] }]), /authRules\[0\]\.actions/);
    assert.throws(
      () =>
        parseAccessRules([
          { user: 'a', repositories: '*', actions: ['pull'] },
          { user: '', repositories: '*', actions: ['pull'] },
        ]),
      /authRules\[1\]\.user/,
    );
    assert.throws(() => parseAccessRules([{ user: 'a', repositories: '', actions: ['pull'] }]), /authRules\[0\]\.repositories/);
    assert.throws(() => parseAccessRules([{ user: 'a', repositories: '*', actions: ['pull'], extra: 1 }]), /unknown field "extra"/);
  });
});
