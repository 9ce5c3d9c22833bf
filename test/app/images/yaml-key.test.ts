/**
 * The `key:` of a YAML line as `dct pin` reads it: the same keys the regular expression it
 * replaces found, and no hang on a long line (that expression backtracked quadratically).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { yamlKeyOf } from '../../../src/app/images/yaml-key.js';
import { checkProperty } from '../../property/property-support.js';
import { runWithin } from '../../support/hang-guard.js';

/** the reader before yaml-key.ts, as the oracle */
const KEY_LINE = /^([ ]*)((?:-[ ]+)*)(?:"([^"]*)"|'([^']*)'|([^\s#"'{[\]},&*!|>%@`][^#]*?))[ ]*:(?=[ \t]|$)/;
function regexKey(body: string): { key: string; afterColon: number } | undefined {
  const m = KEY_LINE.exec(body);
  return m ? { key: (m[3] ?? m[4] ?? m[5]) as string, afterColon: m[0].length } : undefined;
}

/** as yaml-image-references.ts calls it */
function keyOfLine(body: string): { key: string; afterColon: number } | undefined {
  const indent = /^[ ]*/.exec(body)![0].length;
  const dashes = /^[ ]*((?:-[ ]+)*)/.exec(body)![1]!;
  return yamlKeyOf(body, indent + dashes.length, dashes.length > 0 ? indent + dashes.lastIndexOf('-') : -1);
}

const line = fc
  .array(fc.constantFrom(' ', ' ', '-', '- ', ':', ': ', '#', '"', "'", 'a', 'image', '\t', '{', 'b c'), { maxLength: 16 })
  .map((parts) => parts.join(''));

describe('YAML keys', () => {
  it('are the keys the regular expression found, with the same end', async () => {
    await checkProperty('yamlKeyOf equals the regex reader', [line], (body) => assert.deepEqual(keyOfLine(body), regexKey(body)), {
      numRuns: 5000,
      examples: [["- - 'x: y"], ['- -a: b'], ['"a" : b'], ['a   :'], ['a:b: c'], ['a #b: c'], ['- : x'], ['::']],
    });
  });

  it('attack: a 1 MB line without a colon, or of item markers, does not hang dct pin', async () => {
    const yaml = new URL('../../../src/app/images/yaml-image-references.ts', import.meta.url);
    for (const text of [
      'a' + ' '.repeat(1_000_000),
      'image' + ' x'.repeat(500_000) + ':',
      '- '.repeat(500_000) + 'a',
      'a' + ' :a'.repeat(300_000),
    ]) {
      const result = await runWithin(30_000, yaml, 'findYamlReferences', [text]);
      assert.ok('returned' in result, JSON.stringify(result));
    }
  });
});
