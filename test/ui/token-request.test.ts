/** ui/src/token-request.ts: asking the session's realm for a token, and reading its answer. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DashboardSession } from '../../src/app/dashboard/dashboard-api.js';
import { SignInError, tokenOfAnswer, tokenRequest } from '../../ui/src/token-request.js';

const SESSION: DashboardSession = {
  auth: 'token',
  realm: 'https://dct.example:4443/auth/token',
  service: 'dct',
  warnDays: 14,
  now: '2026-12-07T18:00:00.000Z',
  registry: true,
};
const PAGE = 'https://dct.example:4443/ui/expiry';

describe('tokenRequest', () => {
  it('asks the realm for the service, the account and the audit feed scope, with Basic credentials', () => {
    const { url, headers } = tokenRequest(SESSION, 'alice', 'pa:ss', PAGE);
    assert.equal(url.origin + url.pathname, 'https://dct.example:4443/auth/token');
    assert.deepEqual(Object.fromEntries(url.searchParams), { service: 'dct', account: 'alice', scope: 'registry:catalog:*' });
    assert.deepEqual(headers, { Authorization: `Basic ${Buffer.from('alice:pa:ss').toString('base64')}` });
  });

  it('sends credentials beyond ASCII as their UTF-8 bytes', () => {
    const { headers } = tokenRequest(SESSION, 'zoë', 'mot de passe ✓', PAGE);
    assert.equal(headers['Authorization'], `Basic ${Buffer.from('zoë:mot de passe ✓', 'utf8').toString('base64')}`);
  });

  it('reads a realm relative to the page, and names no service when the session has none', () => {
    const { service: _, ...noService } = SESSION;
    const { url } = tokenRequest({ ...noService, realm: '/auth/token' }, 'bob', 'x', PAGE);
    assert.equal(url.href, 'https://dct.example:4443/auth/token?account=bob&scope=registry%3Acatalog%3A*');
  });

  it('refuses a session without a realm', () => {
    const { realm: _, ...noRealm } = SESSION;
    assert.throws(() => tokenRequest(noRealm, 'alice', 'x', PAGE), SignInError);
  });
});

describe('tokenOfAnswer', () => {
  it('reads token, or access_token (OAuth)', () => {
    assert.equal(tokenOfAnswer(200, { token: 'abc', access_token: 'other' }), 'abc');
    assert.equal(tokenOfAnswer(200, { access_token: 'xyz' }), 'xyz');
  });

  it('says why there is no token', () => {
    const says = (message: string) => (e: unknown) => e instanceof SignInError && e.message === message;
    assert.throws(() => tokenOfAnswer(401, { token: 'abc' }), says('Wrong username or password.'));
    assert.throws(() => tokenOfAnswer(500, undefined), says('The token realm answered 500.'));
    for (const body of [undefined, null, 'abc', {}, { token: '' }, { token: 42 }, { access_token: 42 }, { access_token: '' }]) {
      assert.throws(() => tokenOfAnswer(200, body), SignInError, JSON.stringify(body));
    }
  });
});
