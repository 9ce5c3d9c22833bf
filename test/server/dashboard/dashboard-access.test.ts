/**
 * Who sees what on the dashboard: by the built-in issuer's rules when it is configured, else
 * (external issuers only) by the token's own access claims; decisions need registry:catalog:*.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AccessRules } from '../../../src/server/auth/access-rules.js';
import type { VerifiedToken } from '../../../src/server/auth/bearer-auth.js';
import { DashboardAccess } from '../../../src/server/dashboard/dashboard-access.js';

const token = (subject: string, access: Record<string, string[]>): VerifiedToken => ({
  subject,
  expiresAt: Date.now() + 60_000,
  access: new Map(Object.entries(access).map(([k, v]) => [k.replace(':', '\u0000'), new Set(v)])),
});

describe('dashboard access', () => {
  it("external issuers only: the token's pull claims decide, its catalog claim the decisions", () => {
    const access = new DashboardAccess(token('ext-user', { 'repository:a/app': ['pull'], 'repository:b/app': ['push'] }), undefined);
    assert.equal(access.user, 'ext-user');
    assert.equal(access.mayPull('a/app'), true);
    assert.equal(access.mayPull('b/app'), false, 'push alone is not pull');
    assert.equal(access.mayPull('c/app'), false);
    assert.equal(access.mayReadDecisions(), false);
    const all = new DashboardAccess(token('ops', { 'repository:a/app': ['*'], 'registry:catalog': ['*'] }), undefined);
    assert.equal(all.mayPull('a/app'), true);
    assert.equal(all.mayReadDecisions(), true);
  });

  it("the built-in issuer: its rules decide whatever the token's scope; anonymous pull only when allowed", () => {
    const rules = new AccessRules(
      [
        { user: 'viewer', repositories: 'a/*', actions: ['pull'] },
        { user: 'admin', repositories: '*', actions: ['*'] },
      ],
      { anonymousPull: true },
    );
    const viewer = new DashboardAccess(token('viewer', {}), rules);
    assert.deepEqual([viewer.mayPull('a/app'), viewer.mayPull('b/app'), viewer.mayReadDecisions()], [true, false, false]);
    const admin = new DashboardAccess(token('admin', {}), rules);
    assert.deepEqual([admin.mayPull('b/app'), admin.mayReadDecisions()], [true, true]);
    const anonymous = new DashboardAccess(token('', {}), rules);
    assert.equal(anonymous.user, undefined);
    assert.deepEqual([anonymous.mayPull('b/app'), anonymous.mayReadDecisions()], [true, false]);
    const closed = new DashboardAccess(token('', {}), new AccessRules([]));
    assert.equal(closed.mayPull('b/app'), false);
  });
});
