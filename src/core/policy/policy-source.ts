/**
 * Where the policy use case gets the trust policy from: a file read once (`dct policy
 * explain`), or one reloaded when it changes (the admission webhook). A policy that cannot be
 * loaded throws a DctError (POLICY_*); the decider then denies (fail closed).
 */
import type { TrustPolicy } from './trust-policy.js';

export interface PolicySource {
  current(): Promise<TrustPolicy>;
}
