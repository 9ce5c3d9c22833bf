/**
 * The trust policy of the policy gate's tests: one rule per repository namespace of the test
 * registry (`127.0.0.1:<port>/<namespace>/*`), each asking for one format, m of n, or a mode.
 * Key files are relative to the policy (`release.pub`, `stranger.pub` beside it).
 */
export function gatePolicy(opts: { dctAlsoCosign?: boolean } = {}): string {
  const dct = opts.dctAlsoCosign
    ? '{allOf: [{dct: {signers: [releases]}}, {cosign: {key: release.pub, tlog: false}}]}'
    : '{dct: {signers: [releases]}}';
  return `version: 1
defaults: {mode: enforce}
rules:
  - {name: dct, match: "127.0.0.1:*/dct/*", require: ${dct}}
  - {name: index, match: "127.0.0.1:*/index/*", require: {dct: {signers: [releases]}}}
  - {name: cosign, match: "127.0.0.1:*/cosign/*", require: {cosign: {key: release.pub, tlog: false}}}
  - {name: cosign-stranger, match: "127.0.0.1:*/cosign-stranger/*", require: {cosign: {key: stranger.pub, tlog: false}}}
  - {name: notation, match: "127.0.0.1:*/notation/*", require: {notation: {trustStore: "ca:gate.example"}}}
  - name: multi
    match: "127.0.0.1:*/multi/*"
    require:
      atLeast:
        count: 2
        of:
          - dct: {signers: [releases]}
          - cosign: {key: release.pub, tlog: false}
          - notation: {trustStore: "ca:gate.example"}
  - {name: warn, match: "127.0.0.1:*/warn/*", mode: warn, require: {dct: {signers: [releases]}}}
  - {name: audit, match: "127.0.0.1:*/audit/*", mode: audit, require: {dct: {signers: [releases]}}}
`;
}
