/** A Sigstore signing config (v0.2) whose Fulcio, Rekor and TSA are all `base`: for tests against a fake service. */
export function signingConfigAt(base: string): unknown {
  const service = { url: base, majorApiVersion: 1, validFor: { start: '2020-01-01T00:00:00Z' }, operator: 'test' };
  return {
    mediaType: 'application/vnd.dev.sigstore.signingconfig.v0.2+json',
    caUrls: [service],
    oidcUrls: [],
    rekorTlogUrls: [service],
    rekorTlogConfig: { selector: 'ANY' },
    tsaUrls: [service],
    tsaConfig: { selector: 'ANY' },
  };
}
