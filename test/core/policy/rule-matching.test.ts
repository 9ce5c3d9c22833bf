/**
 * Which rule applies: patterns (`*` within a component, `**` across, `?`), and the order
 * among several matching rules: exact > longer literal prefix > fewer wildcards > file order.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compilePolicy } from '../../../src/core/policy/compile-policy.js';
import { compareSpecificity, matchesPattern, specificityOf } from '../../../src/core/policy/image-pattern.js';
import { matchRule, matchingRules, rulesInOrder } from '../../../src/core/policy/rule-matching.js';

const any = { dct: { signers: ['releases'] } };
const policyOf = (rules: Array<{ name: string; match: string | string[] }>) =>
  compilePolicy({ version: 1, rules: rules.map((r) => ({ ...r, require: any })) });

describe('image patterns', () => {
  it('* stays within one path component, ** crosses them, ? is one character', () => {
    assert.ok(matchesPattern('registry.example.com/team/*', 'registry.example.com/team/app'));
    assert.ok(!matchesPattern('registry.example.com/team/*', 'registry.example.com/team/sub/app'));
    assert.ok(!matchesPattern('registry.example.com/team/*', 'registry.example.com/teams/app'));
    assert.ok(matchesPattern('registry.example.com/**', 'registry.example.com/team/sub/app'));
    assert.ok(matchesPattern('registry.example.com/team/**', 'registry.example.com/team/sub/app'));
    assert.ok(!matchesPattern('registry.example.com/**', 'registry.example.comx/app'));
    assert.ok(matchesPattern('**', 'docker.io/library/alpine'));
    assert.ok(matchesPattern('docker.io/library/alpin?', 'docker.io/library/alpine'));
    assert.ok(!matchesPattern('docker.io/library/alpin?', 'docker.io/library/alpin/e'));
    assert.ok(matchesPattern('127.0.0.1:5000/x/*', '127.0.0.1:5000/x/y'));
    // regular-expression characters are literal
    assert.ok(!matchesPattern('docker.io/library/alpine', 'dockerxio/library/alpine'));
    assert.ok(matchesPattern('**/alpine', 'docker.io/library/alpine'));
  });

  it('specificity: exact first, then the longer literal prefix, then fewer wildcards', () => {
    const mostFirst = ['docker.io/library/alpine', 'docker.io/library/alp*', 'docker.io/library/*', 'docker.io/**', 'docker.io/*/*', '**'];
    const shuffled = [3, 0, 5, 1, 4, 2].map((i) => mostFirst[i] as string);
    assert.deepEqual(
      shuffled.sort((a, b) => compareSpecificity(specificityOf(a), specificityOf(b))),
      mostFirst,
    );
    // same prefix: fewer wildcards wins
    assert.ok(compareSpecificity(specificityOf('docker.io/library/*'), specificityOf('docker.io/library/*/*')) < 0);
  });
});

describe('the rule that applies', () => {
  const policy = policyOf([
    { name: 'everything', match: '**' },
    { name: 'hub', match: 'docker.io/**' },
    { name: 'team', match: ['registry.example.com/team/*', 'registry.example.com/team/*/*'] },
    { name: 'alpine', match: 'docker.io/library/alpine' },
    { name: 'library', match: 'docker.io/library/*' },
    { name: 'team-deep', match: 'registry.example.com/team/**' },
  ]);

  it('the most specific rule wins, whatever the file order', () => {
    assert.equal(matchRule(policy, 'docker.io/library/alpine')?.rule.name, 'alpine');
    assert.equal(matchRule(policy, 'docker.io/library/nginx')?.rule.name, 'library');
    assert.equal(matchRule(policy, 'docker.io/someone/app')?.rule.name, 'hub');
    assert.equal(matchRule(policy, 'quay.io/x/y')?.rule.name, 'everything');
    // team/* and team/** share the prefix and count one wildcard each: the rule written first
    assert.equal(matchRule(policy, 'registry.example.com/team/app')?.rule.name, 'team');
    assert.deepEqual(
      matchingRules(policy, 'registry.example.com/team/a/b').map((m) => m.rule.name),
      ['team-deep', 'team', 'everything'],
      'team-deep (1 wildcard) before team/*/* (2 wildcards) on the same prefix',
    );
  });

  it('on a tie the rule written first wins; no match is undefined', () => {
    const fewer = policyOf([
      { name: 'more-wildcards', match: 'r.example.com/a/?*' },
      { name: 'fewer-wildcards', match: 'r.example.com/a/*' },
    ]);
    assert.equal(matchRule(fewer, 'r.example.com/a/x')?.rule.name, 'fewer-wildcards', 'same prefix, and ?* has 2 wildcards');
    const tie2 = policyOf([
      { name: 'first', match: 'r.example.com/a/*' },
      { name: 'second', match: ['r.example.com/b/x', 'r.example.com/a/*x'] },
    ]);
    assert.equal(matchRule(tie2, 'r.example.com/a/x')?.rule.name, 'first');
    assert.equal(matchRule(policyOf([{ name: 'one', match: 'r.example.com/a' }]), 'r.example.com/b'), undefined);
  });

  it('rulesInOrder lists rules as they are tried', () => {
    assert.deepEqual(
      rulesInOrder(policy).map((r) => r.name),
      ['alpine', 'team', 'team-deep', 'library', 'hub', 'everything'],
    );
  });
});
