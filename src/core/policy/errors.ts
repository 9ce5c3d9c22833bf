/**
 * Stable error codes of the trust policy (its file, its rules, its evaluation)
 * (`DctError.code`). Callers match on these; the messages are for humans.
 */
export const POLICY_ERROR_CODES = [] as const;

export type PolicyErrorCode = (typeof POLICY_ERROR_CODES)[number];
