/**
 * Stable error codes of the trust policy (its file, its rules, its evaluation) and of its
 * audit feed (`DctError.code`). Callers match on these; the messages are for humans.
 */
export const POLICY_ERROR_CODES = [
  // the policy file cannot be read (missing, unreadable, too large)
  'POLICY_FILE_UNREADABLE',
  // the policy file is not YAML/JSON
  'POLICY_SYNTAX_ERROR',
  // the policy file breaks the schema or a rule of its own (line and field in the message)
  'POLICY_INVALID',
  // an audit record posted to the server, or an audit query, is not one (field in the message)
  'AUDIT_RECORD_INVALID',
  // the audit feed named (--audit FILE|URL) cannot be written
  'AUDIT_FEED_UNAVAILABLE',
] as const;

export type PolicyErrorCode = (typeof POLICY_ERROR_CODES)[number];
