import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseLabelSelector, selectorMatches } from '../../../src/app/admission/label-selector.js';
import { isDctError } from '../../../src/core/errors.js';

describe('label selectors (exemptions)', () => {
  it('=, ==, !=, presence and absence, all of them', () => {
    const s = parseLabelSelector('dct.dev/exempt=true, team==infra,tier!=prod,owner,!legacy');
    assert.equal(selectorMatches(s, { 'dct.dev/exempt': 'true', team: 'infra', owner: 'x' }), true);
    assert.equal(selectorMatches(s, { 'dct.dev/exempt': 'true', team: 'infra', owner: 'x', tier: 'prod' }), false);
    assert.equal(selectorMatches(s, { 'dct.dev/exempt': 'true', team: 'infra', owner: 'x', legacy: '' }), false);
    assert.equal(selectorMatches(s, { 'dct.dev/exempt': 'true', team: 'infra' }), false);
    assert.equal(selectorMatches(s, { 'dct.dev/exempt': 'false', team: 'infra', owner: 'x' }), false);
  });

  it('refuses what is not a selector', () => {
    for (const bad of ['', 'a=b=c', '=x', 'key=va lue', 'Bad Key', '!']) {
      assert.throws(
        () => parseLabelSelector(bad),
        (e: unknown) => isDctError(e, 'ADMISSION_CONFIG_INVALID') && /label selector/.test(e.message),
        bad,
      );
    }
  });
});
