/**
 * Stable error codes of Notation's trust policy, trust stores and configuration
 * (`DctError.code`). Callers match on these; the messages are for humans.
 */
export const NOTATION_POLICY_ERROR_CODES = [] as const;

export type NotationPolicyErrorCode = (typeof NOTATION_POLICY_ERROR_CODES)[number];
