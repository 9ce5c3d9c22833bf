/**
 * What the manifest handler asks of a pull gate (the legacy `pullGate` rules, pull-gate.ts, or
 * the trust policy, policy-gate.ts): may this manifest be served to this client? A refusal is
 * thrown as the registry's DENIED error; an allowed manifest may come with warnings (a policy
 * rule in `warn` mode), which the answer carries as `Warning` headers. Every judged request is
 * written to the audit sink.
 */
import type { AuditActor } from '../../core/policy/audit-record.js';
import type { GateRequest } from './pull-gate-decision.js';

export interface GateCall {
  /** GET or HEAD */
  method: string;
  actor: AuditActor;
}

export interface GateOutcome {
  /** shown to the client (`Warning: 299 - "…"`) and logged */
  warnings: string[];
}

export const NO_WARNINGS: GateOutcome = { warnings: [] };

export interface ManifestGate {
  /** resolves when the manifest may be served; throws DENIED otherwise. `manifest`: the stored one (signature artifacts pass on content) */
  check(req: GateRequest, manifest: { mediaType: string; data: Buffer }, call: GateCall): Promise<GateOutcome>;
  /** the trust data or the signatures of a GUN changed: decisions about it are forgotten */
  changed(gun: string): void;
}

/** The audit context of a manifest request. */
export function gateContext(req: GateRequest, call: GateCall): Record<string, string> {
  return { method: call.method, repository: req.repository, reference: req.tag ?? req.digest };
}

/** The image a request asks for: `gun:tag` or `gun@digest`. */
export function requestedImage(req: GateRequest): string {
  return req.tag !== undefined ? `${req.gun}:${req.tag}` : `${req.gun}@${req.digest}`;
}

/** A warning as an HTTP `Warning` header value (RFC 7234 §5.5, code 299 as Kubernetes sends them). */
export function warningHeader(warnings: readonly string[]): string {
  return warnings.map((w) => `299 - ${JSON.stringify(w.replace(/[^\x20-\x7e]/g, '?'))}`).join(', ');
}
