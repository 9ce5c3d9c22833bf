/** What cosign shows before anything goes to Sigstore's public transparency log, and the confirmation it asks for. */
export const PRIVACY_STATEMENT = `
\tThe sigstore service, hosted by sigstore a Series of LF Projects, LLC, is provided pursuant to the Hosted Project Tools Terms of Use, available at https://lfprojects.org/policies/hosted-project-tools-terms-of-use/.
\tNote that if your submission includes personal data associated with this signed artifact, it will be part of an immutable record.
\tThis may include the email address associated with the account with which you authenticate your contractual Agreement.
\tThis information will be used for signing this artifact and will be stored in public transparency logs and cannot be removed later, and is subject to the Immutable Record notice at https://lfprojects.org/policies/hosted-project-tools-immutable-records/.
`;
export const PRIVACY_CONFIRMATION =
  "By typing 'y', you attest that (1) you are not submitting the personal data of any other person; and (2) you understand and agree to the statement and the Agreement terms at the URLs listed above.";
