/**
 * inspectEnvelope and notation inspect's outputs, against the expected outputs of the notation
 * CLI's e2e tests (blob signature with a Microsoft TSA countersignature, timestamped OCI
 * signature, OCI signature whose countersignature does not parse), JSON and tree.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inspectEnvelope } from '../../../../src/adapters/notation/envelope/inspect-envelope.js';
import {
  ansic,
  inspectionJson,
  inspectionTree,
  renderTree,
  rfc3339Nano,
} from '../../../../src/adapters/notation/envelope/inspection-output.js';
import { isDctError } from '../../../../src/core/errors.js';
import { COSE, JWS, notationFixture } from './notation-fixtures.js';

const expected = (name: string) => notationFixture('notation-cli', 'expected-inspect', name).toString('utf8');
const layoutBlob = (layout: string, hex: string) => notationFixture('notation-cli', 'oci-layouts', layout, 'blobs', 'sha256', hex);

describe('inspectEnvelope', () => {
  it('blob.jws.sig: JSON exactly as `notation blob inspect --output json`', () => {
    const i = inspectEnvelope(notationFixture('notation-cli', 'signatures', 'blob.jws.sig'), JWS);
    assert.equal(JSON.stringify(inspectionJson(i), null, 2), expected('blob-with-timestamping-and-output-as-json.json').trimEnd());
  });

  it('blob.jws.sig: tree exactly as `notation blob inspect`', () => {
    const i = inspectEnvelope(notationFixture('notation-cli', 'signatures', 'blob.jws.sig'), JWS);
    assert.deepEqual(['<SIGNATURE_PATH>', ...renderTree(inspectionTree(i))], expected('blob-with-timestamping.txt').trimEnd().split('\n'));
  });

  it('timestamped OCI signature: JSON and tree as `notation inspect`', () => {
    const bytes = layoutBlob('e2e-with-timestamped-signature', '603ff134e97a79cd7a15560b76137c2c4a10451daab11327a7c6f86dac250fee');
    const i = inspectEnvelope(bytes, JWS);
    const want = JSON.parse(expected('oci-with-timestamped-oci-layout-and-output-in-json.json')) as {
      signatures: Record<string, unknown>[];
    };
    const sig = want.signatures[0]!;
    assert.equal(JSON.stringify({ digest: sig['digest'], ...inspectionJson(i) }), JSON.stringify(sig));
    const lines = expected('oci-with-timestamped-oci-layout.txt').trimEnd().split('\n');
    assert.deepEqual(renderTree(inspectionTree(i), '        '), lines.slice(4));
  });

  it('OCI signature whose countersignature is "invalid\\n": the timestamp shows a parse error, the rest as notation', () => {
    const bytes = layoutBlob('e2e-with-invalid-timestamped-signature', '8d2e70ffc2af68b7f2df6f30dfefcb7bcda1db5f9ac2566fc8c6c2248c8d4c5f');
    const i = inspectEnvelope(bytes, JWS);
    const error = i.unsignedAttributes.timestampSignature?.error ?? '';
    assert.match(error, /^failed to parse timestamp countersignature: cms: syntax error/);
    const want = JSON.parse(expected('oci-with-invalid-timestamp-signature-in-json-format.json')) as {
      signatures: Record<string, unknown>[];
    };
    const sig = want.signatures[0]!;
    // notation's error text comes from Go's BER decoder; ours names the same failure in its own words
    const got = JSON.parse(JSON.stringify({ digest: sig['digest'], ...inspectionJson(i) })) as Record<
      string,
      { timestampSignature?: { error: string } }
    >;
    got['unsignedAttributes']!.timestampSignature!.error = (
      sig['unsignedAttributes'] as { timestampSignature: { error: string } }
    ).timestampSignature.error;
    assert.equal(JSON.stringify(got), JSON.stringify(sig));
    const lines = expected('oci-with-invalid-timestamp-signature-in-text-format.txt').trimEnd().split('\n').slice(4);
    const tree = renderTree(inspectionTree(i), '        ');
    assert.equal(tree.length, lines.length);
    tree.forEach((line, n) =>
      line.includes('error: ') ? assert.match(line, /error: failed to parse timestamp countersignature: /) : assert.equal(line, lines[n]),
    );
  });

  it('blob.cose.sig: COSE envelope inspected the same way', () => {
    const i = inspectEnvelope(notationFixture('notation-cli', 'signatures', 'blob.cose.sig'), COSE);
    assert.equal(i.mediaType, COSE);
    assert.equal(i.signatureAlgorithm, 'RSASSA-PSS-SHA-256');
    assert.equal(i.certificates[0]?.issuedTo, 'CN=testcert3,O=Notary,L=Seattle,ST=WA,C=US');
    assert.equal(i.unsignedAttributes.timestampSignature?.certificates?.length, 2);
    assert.equal(rfc3339Nano(i.signedAttributes.signingTime!), '2025-01-07T08:42:43Z');
  });

  it('mock envelopes: signingAuthority scheme shows the authentic signing time; plugin headers are shown', () => {
    const sa = inspectEnvelope(notationFixture('notation-go', 'mock-envelopes', 'sa_plugin_sig_env.json'), JWS);
    assert.equal(ansic(sa.signedAttributes.authenticSigningTime!), 'Mon Nov  9 07:00:00 2020');
    assert.deepEqual(sa.signedAttributes.extended, { SomeKey: 'SomeValue', 'io.cncf.notary.verificationPlugin': 'plugin-name' });
    assert.equal(sa.certificates.length, 2);
    assert.equal((inspectionJson(sa)['signedAttributes'] as Record<string, string>)['signingTime'], '2020-11-09T07:00:00Z');
    assert.ok(renderTree(inspectionTree(sa)).includes('│   ├── signing time: Mon Nov  9 07:00:00 2020'));
  });

  it('malformed.jws.sig ("malformed signature") does not parse', () => {
    assert.throws(
      () => inspectEnvelope(notationFixture('notation-cli', 'signatures', 'malformed.jws.sig'), JWS),
      (err: unknown) => isDctError(err, 'NOTATION_ENVELOPE_MALFORMED'),
    );
  });
});
