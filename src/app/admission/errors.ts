/**
 * Stable error codes of Kubernetes admission (AdmissionReview requests, workloads, patches)
 * (`DctError.code`). Callers match on these; the messages are for humans.
 */
export const ADMISSION_ERROR_CODES = [] as const;

export type AdmissionErrorCode = (typeof ADMISSION_ERROR_CODES)[number];

declare module '../../core/errors.js' {
  interface ErrorCodesByModule {
    admission: AdmissionErrorCode;
  }
}
