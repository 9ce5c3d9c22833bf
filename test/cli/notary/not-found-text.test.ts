/**
 * notary's "<role> trust data unavailable" for a 404 names the role it asked
 * for (httpstore `translateStatusToError(resp, name)`), delegations included:
 * dct reads it back from the request URL, which carries the role's slashes as
 * notary's does (`…/_trust/tuf/targets/releases.json`).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NotaryHttpError } from '../../../src/adapters/notary-http/notary-client.js';
import { notaryErrorText } from '../../../src/cli/commands/notary/output.js';

const TUF = 'https://127.0.0.1:4443/v2/127.0.0.1:5000/org/app/_trust/tuf/';
const notFound = (url: string) =>
  notaryErrorText(new NotaryHttpError('METADATA_NOT_FOUND', 'not found', { status: 404, method: 'GET', url }));

describe('notary error text for a 404', () => {
  it('names the role asked for, delegations with their slashes', () => {
    assert.equal(notFound(`${TUF}root.json`), 'root trust data unavailable.  Has a notary repository been initialized?');
    assert.equal(
      notFound(`${TUF}targets/releases.json`),
      'targets/releases trust data unavailable.  Has a notary repository been initialized?',
    );
    assert.equal(notFound(`${TUF}2.targets/a/b.json`), 'targets/a/b trust data unavailable.  Has a notary repository been initialized?');
    assert.equal(notFound(`${TUF}timestamp.key`), 'timestamp trust data unavailable.  Has a notary repository been initialized?');
  });
});
