/**
 * The trust policy as the notation use cases ask it: the statement that applies to an artifact
 * (notation's scope rules, `src/core/notation/trust-policy.ts`), its level, actions, trusted
 * identities and trust stores. The document and the stores are read through the given functions
 * (the CLI passes the configuration directory's readers); the document is read once.
 */
import type { TrustAnchors } from '../../core/notation/verification-types.js';
import type { TrustPolicyDocument, TrustPolicyStatement } from '../../core/notation/trust-policy-document.js';
import { selectStatement, statementActions, statementLevel, statementVerifyTimestamp } from '../../core/notation/trust-policy.js';
import type { TrustPolicySource } from './ports.js';

export interface TrustPolicyReaders {
  /** the OCI trust policy document */
  load(): Promise<TrustPolicyDocument>;
  /** the certificates of the trust stores a statement names */
  anchors(statement: TrustPolicyStatement): Promise<TrustAnchors>;
}

export function trustPolicySource(readers: TrustPolicyReaders): TrustPolicySource {
  let doc: Promise<TrustPolicyDocument> | undefined;
  return {
    async statementFor(artifactReference) {
      const statement = selectStatement(await (doc ??= readers.load()), artifactReference);
      return {
        name: statement.name,
        level: statementLevel(statement),
        actions: statementActions(statement),
        trustedIdentities: statement.trustedIdentities,
        verifyTimestamp: statementVerifyTimestamp(statement),
        anchors: () => readers.anchors(statement),
      };
    },
  };
}
