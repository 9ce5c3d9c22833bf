/**
 * Stable error codes of Kubernetes admission (AdmissionReview requests, workloads, patches)
 * (`DctError.code`). Callers match on these; the messages are for humans.
 */
export const ADMISSION_ERROR_CODES = [
  // the request
  'ADMISSION_BODY_TOO_LARGE',
  'ADMISSION_REVIEW_INVALID',
  'ADMISSION_OBJECT_INVALID',
  // deciding
  'ADMISSION_DECISION_TIMEOUT',
  'ADMISSION_DECISION_FAILED',
  'ADMISSION_POLICY_NOT_LOADED',
  // image pull secrets (read from the Kubernetes API)
  'ADMISSION_KUBERNETES_API_FAILED',
  'ADMISSION_PULL_SECRET_INVALID',
  // configuration of the webhook
  'ADMISSION_CONFIG_INVALID',
  'ADMISSION_TLS_INVALID',
] as const;

export type AdmissionErrorCode = (typeof ADMISSION_ERROR_CODES)[number];

declare module '../../core/errors.js' {
  interface ErrorCodesByModule {
    admission: AdmissionErrorCode;
  }
}
