/**
 * Who may see what on the dashboard, with token auth: every `/ui/api/` route needs a valid
 * bearer token (any scope; the token's subject is the user). Repositories are listed, counted,
 * shown and found in the expiry timeline only when the user may pull them — by the built-in
 * issuer's rules when it is configured (what the user could get a token for), else (external
 * issuers only) by the token's own access claims. Decisions need what the audit feed needs:
 * `registry:catalog:*` in the token, or granted by the built-in issuer's rules.
 */
import type { AccessRules } from '../auth/access-rules.js';
import { tokenHolds, type VerifiedToken } from '../auth/bearer-auth.js';

export class DashboardAccess {
  constructor(
    private readonly token: VerifiedToken,
    private readonly rules: AccessRules | undefined,
  ) {}

  /** the user; undefined for an anonymous token */
  get user(): string | undefined {
    return this.token.subject === '' ? undefined : this.token.subject;
  }

  mayPull(gun: string): boolean {
    if (this.rules) return this.rules.granted(this.user, gun, ['pull']).length > 0;
    return tokenHolds(this.token, { type: 'repository', name: gun, action: 'pull' });
  }

  mayReadDecisions(): boolean {
    if (tokenHolds(this.token, { type: 'registry', name: 'catalog', action: '*' })) return true;
    return this.rules?.catalogGranted(this.user) ?? false;
  }
}
