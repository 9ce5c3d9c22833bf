import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { enableCompileCache } from '../../src/cli/compile-cache.js';

describe("the CLI's use of node's compile cache", () => {
  it('enables it when the runtime has it', () => {
    let calls = 0;
    enableCompileCache({}, () => void calls++);
    assert.equal(calls, 1);
  });

  it('does nothing on a runtime without it (Node 20)', () => {
    assert.doesNotThrow(() => enableCompileCache({}, undefined));
  });

  it('is off when NODE_DISABLE_COMPILE_CACHE is set, as for node itself', () => {
    let calls = 0;
    enableCompileCache({ NODE_DISABLE_COMPILE_CACHE: '1' }, () => void calls++);
    assert.equal(calls, 0);
  });

  it('never fails the command when the cache cannot be set up', () => {
    assert.doesNotThrow(() =>
      enableCompileCache({}, () => {
        throw new Error('EACCES: permission denied, mkdir /nowhere/node-compile-cache');
      }),
    );
  });
});
