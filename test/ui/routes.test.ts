/** ui/src/routes.ts: which page a path under /ui/ shows, and a repository page's path. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { repositoryHref, routeOf } from '../../ui/src/routes.js';

describe('routeOf', () => {
  it('reads the list, the expiry and the decisions pages, with or without a trailing slash', () => {
    for (const path of ['/ui/', '/ui', '/ui/repositories', '/ui/repositories/'])
      assert.deepEqual(routeOf(path), { page: 'repositories' }, path);
    assert.deepEqual(routeOf('/ui/expiry'), { page: 'expiry' });
    assert.deepEqual(routeOf('/ui/expiry/'), { page: 'expiry' });
    assert.deepEqual(routeOf('/ui/decisions'), { page: 'decisions' });
  });

  it('reads a repository page: the GUN is the rest of the path, each segment unescaped', () => {
    assert.deepEqual(routeOf('/ui/repositories/127.0.0.1:4443/acme/app'), { page: 'repository', gun: '127.0.0.1:4443/acme/app' });
    assert.deepEqual(routeOf('/ui/repositories/docker.io/library/a%20b'), { page: 'repository', gun: 'docker.io/library/a b' });
    // an escaped slash stays inside its segment; a bad escape is kept as it is
    assert.deepEqual(routeOf('/ui/repositories/x/a%2Fb'), { page: 'repository', gun: 'x/a/b' });
    assert.deepEqual(routeOf('/ui/repositories/x/100%'), { page: 'repository', gun: 'x/100%' });
  });

  it('is "missing" for any other path, naming it', () => {
    for (const path of ['/ui/nope', '/ui/expiry/more', '/ui/decisions/1', '/elsewhere', '/uix/repositories']) {
      assert.deepEqual(routeOf(path), { page: 'missing', path }, path);
    }
  });

  it('reads back the path repositoryHref makes', () => {
    for (const gun of ['127.0.0.1:4443/acme/app', 'reg.example/team a/app#1', 'x/100%/ü?q']) {
      const href = repositoryHref(gun);
      assert.ok(href.startsWith('/ui/repositories/'), href);
      assert.doesNotMatch(href, /[ #?]/, 'nothing in it ends the path');
      assert.deepEqual(routeOf(new URL(href, 'https://dct.example').pathname), { page: 'repository', gun });
    }
    assert.equal(repositoryHref('127.0.0.1:4443/acme/app'), '/ui/repositories/127.0.0.1%3A4443/acme/app');
  });
});
