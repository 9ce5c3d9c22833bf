/**
 * Notation signature envelopes (JWS and COSE): sign, verify one envelope under a trust policy
 * statement, inspect. Called by the notation use cases through their ports.
 */
export { signEnvelope, type SignEnvelopeRequest, type SignedEnvelope } from './sign-envelope.js';
export { verifyEnvelope, verifyEnvelopeSync, type EnvelopeCheckOutcome } from './verify-envelope.js';
export { inspectEnvelope, type EnvelopeInspection } from './inspect-envelope.js';
export { COSE_MEDIA_TYPE, JWS_MEDIA_TYPE } from './signer-info.js';
export { ansic, inspectionJson, inspectionTree, renderTree, rfc3339Nano, type TreeNode } from './inspection-output.js';
