/**
 * ui/src/token-renewal.ts: what the dashboard does with a 401, against a fake API that accepts
 * only the current token and a fake token realm whose answers the test releases.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lacksScope, tokenRenewal, type RenewalDeps, type Send } from '../../ui/src/token-renewal.js';

const settle = () => new Promise((r) => setImmediate(r));

interface World {
  /** the stored token */
  token: string | undefined;
  /** the tokens the fake API accepts */
  valid: Set<string>;
  /** requests to the token realm, and reports that signing in is needed */
  renewals: number;
  reports: number;
  /** the token of each request sent, in order */
  sent: (string | undefined)[];
  /** whether the realm refuses (wrong or no credentials) */
  refuse: boolean;
  /** lets every renewal under way answer, and the later ones at once */
  release(): void;
  deps: RenewalDeps;
  send: Send;
}

/**
 * The stored token t1, an API accepting only `valid` tokens, a realm handing out t2, t3, …: held
 * until `release` (so that several 401s come while one renewal is under way), or at once.
 */
function world(opts: { refuse?: boolean; held?: boolean } = {}): World {
  const waiting: (() => void)[] = [];
  let held = opts.held ?? true;
  const w: World = {
    token: 't1',
    valid: new Set<string>(),
    renewals: 0,
    reports: 0,
    sent: [],
    refuse: opts.refuse ?? false,
    release() {
      held = false;
      for (const go of waiting.splice(0)) go();
    },
    deps: {
      token: () => w.token,
      renew: async () => {
        w.renewals++;
        await (held ? new Promise<void>((go) => waiting.push(go)) : settle());
        if (w.refuse) return false;
        w.token = `t${w.renewals + 1}`;
        w.valid.add(w.token);
        return true;
      },
      onUnauthorized: () => void w.reports++,
    },
    send: async (token) => {
      w.sent.push(token);
      await settle();
      return token !== undefined && w.valid.has(token) ? new Response('ok') : new Response(null, { status: 401 });
    },
  };
  return w;
}

describe('tokenRenewal', () => {
  it('three calls answered 401 together: one renewal, and each retried with the new token', async () => {
    const w = world();
    const r = tokenRenewal(() => w.deps);
    const calls = [r.send(w.send), r.send(w.send), r.send(w.send)];
    await settle();
    await settle();
    w.release();
    const answers = await Promise.all(calls);
    assert.deepEqual(
      answers.map((a) => a.status),
      [200, 200, 200],
    );
    assert.equal(w.renewals, 1, 'one request to the token realm');
    assert.deepEqual(w.sent, ['t1', 't1', 't1', 't2', 't2', 't2']);
    assert.equal(w.reports, 0);
  });

  it('a renewal that fails is reported once to all the calls that waited for it, and not again for the same token', async () => {
    const w = world({ refuse: true });
    const r = tokenRenewal(() => w.deps);
    const calls = [r.send(w.send), r.send(w.send), r.send(w.send)];
    await settle();
    await settle();
    w.release();
    assert.deepEqual(
      (await Promise.all(calls)).map((a) => a.status),
      [401, 401, 401],
    );
    assert.equal(w.renewals, 1);
    assert.equal(w.reports, 1, 'reported once');
    // later, with the same stale token: nothing more to try, already said
    assert.equal((await r.send(w.send)).status, 401);
    assert.equal(w.renewals, 1);
    assert.equal(w.reports, 1);
  });

  it('after the token changed (forget), a 401 renews again', async () => {
    const w = world({ refuse: true, held: false });
    const r = tokenRenewal(() => w.deps);
    assert.equal((await r.send(w.send)).status, 401);
    r.forget(); // e.g. the same token pasted again
    assert.equal((await r.send(w.send)).status, 401);
    assert.equal(w.renewals, 2);
    assert.equal(w.reports, 2);
  });

  it('a 401 after a renewal has finished renews again', async () => {
    const w = world({ held: false });
    const r = tokenRenewal(() => w.deps);
    assert.equal((await r.send(w.send)).status, 200);
    w.valid.clear(); // t2 has expired in turn
    assert.equal((await r.send(w.send)).status, 200);
    assert.equal(w.renewals, 2);
    assert.deepEqual(w.sent, ['t1', 't2', 't2', 't3']);
  });

  it('a 401 for a token replaced meanwhile retries with the current one, without renewing', async () => {
    const w = world({ held: false });
    const r = tokenRenewal(() => w.deps);
    const call = r.send(w.send);
    w.token = 'fresh'; // renewed by another call, or signed in again, while this one was under way
    w.valid.add('fresh');
    assert.equal((await call).status, 200);
    assert.deepEqual(w.sent, ['t1', 'fresh']);
    assert.equal(w.renewals, 0);
  });

  it('a retry answered 401 again is reported', async () => {
    const w = world({ held: false });
    const r = tokenRenewal(() => w.deps);
    const send = async (token: string | undefined) => {
      w.sent.push(token);
      return new Response(null, { status: 401 }); // the server accepts no token at all
    };
    assert.equal((await r.send(send)).status, 401);
    assert.equal(w.renewals, 1);
    assert.equal(w.reports, 1);
    assert.deepEqual(w.sent, ['t1', 't2']);
  });

  it('a 401 for missing scope (the decision feed) is answered as is: no renewal, nothing reported', async () => {
    const w = world({ held: false });
    const r = tokenRenewal(() => w.deps);
    const scope = new Response(null, {
      status: 401,
      headers: { 'WWW-Authenticate': 'Bearer realm="https://x/auth/token",service="dct",error="insufficient_scope"' },
    });
    assert.equal(await r.send(async () => scope), scope);
    assert.equal(w.renewals, 0);
    assert.equal(w.reports, 0);
  });

  it('before the session is known, a 401 is answered as is', async () => {
    let sent = 0;
    const r = tokenRenewal(() => undefined);
    const res = await r.send(async (token) => {
      sent++;
      assert.equal(token, undefined);
      return new Response(null, { status: 401 });
    });
    assert.equal(res.status, 401);
    assert.equal(sent, 1);
  });

  it('other answers pass through untouched, sent with the current token', async () => {
    const w = world({ held: false });
    const r = tokenRenewal(() => w.deps);
    assert.equal((await r.send(async () => new Response(null, { status: 404 }))).status, 404);
    w.valid.add('t1');
    assert.equal((await r.send(w.send)).status, 200);
    assert.deepEqual(w.sent, ['t1']);
    assert.equal(w.renewals, 0);
  });
});

describe('lacksScope', () => {
  it('is a 401 whose challenge says insufficient_scope', () => {
    const challenge = (s: string) => ({ 'WWW-Authenticate': s });
    assert.equal(lacksScope(new Response(null, { status: 401, headers: challenge('Bearer error="insufficient_scope"') })), true);
    assert.equal(lacksScope(new Response(null, { status: 401, headers: challenge('Bearer realm="r",error="invalid_token"') })), false);
    assert.equal(lacksScope(new Response(null, { status: 401 })), false);
    assert.equal(lacksScope(new Response(null, { status: 403, headers: challenge('Bearer error="insufficient_scope"') })), false);
  });
});
