/**
 * `dct server` against parts that are not metadata envelopes: not JSON, not an
 * object, missing or mistyped `signed` members, bad versions and expiry,
 * trailing garbage, invalid UTF-8 (MALFORMED_JSON, every part decoded), and
 * envelopes whose content is not the role they are uploaded as (INVALID_UPDATE).
 * Nothing stored changes.
 */
import { describe, it } from 'node:test';
import { MANAGED, managed, multipart, post, refused, targetsFile, update, useBadInputServer } from './bad-input-world.js';

describe('dct server: bad input gets notary 4xx answers and changes nothing', () => {
  useBadInputServer();

  describe('parts that are not metadata envelopes', () => {
    const envelopes: Array<[string, string | Buffer]> = [
      ['not JSON', 'not json'],
      ['empty', ''],
      ['null', 'null'],
      ['a JSON array', '[]'],
      ['a JSON string', '"targets"'],
      ['an empty object', '{}'],
      ['signed is an array', '{"signed":[],"signatures":[]}'],
      ['signed is null', '{"signed":null,"signatures":[]}'],
      ['no _type', '{"signed":{"expires":"2030-01-01T00:00:00Z","version":3},"signatures":[]}'],
      ['_type is a number', '{"signed":{"_type":1,"expires":"2030-01-01T00:00:00Z","version":3},"signatures":[]}'],
      ['no expires', '{"signed":{"_type":"Targets","version":3},"signatures":[]}'],
      ['expires not a time', '{"signed":{"_type":"Targets","expires":"tomorrow","version":3},"signatures":[]}'],
      ['no version', '{"signed":{"_type":"Targets","expires":"2030-01-01T00:00:00Z"},"signatures":[]}'],
      ['version is a string', '{"signed":{"_type":"Targets","expires":"2030-01-01T00:00:00Z","version":"3"},"signatures":[]}'],
      ['version is fractional', '{"signed":{"_type":"Targets","expires":"2030-01-01T00:00:00Z","version":3.5},"signatures":[]}'],
      ['version overflows', '{"signed":{"_type":"Targets","expires":"2030-01-01T00:00:00Z","version":1e400},"signatures":[]}'],
      ['signatures is an object', '{"signed":{"_type":"Targets","expires":"2030-01-01T00:00:00Z","version":3},"signatures":{}}'],
      ['a signature is a string', '{"signed":{"_type":"Targets","expires":"2030-01-01T00:00:00Z","version":3},"signatures":["sig"]}'],
      ['truncated JSON', '{"signed":{"_type":"Targets","expires":"2030-01-01T00:00:00Z","version":3},"signatures":['],
      ['trailing garbage', '{"signed":{"_type":"Targets","expires":"2030-01-01T00:00:00Z","version":3},"signatures":[]} x'],
      ['a byte-order mark', '\ufeff{"signed":{"_type":"Targets","expires":"2030-01-01T00:00:00Z","version":3},"signatures":[]}'],
      ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d])],
      // Go's encoding/json reads 10,000 levels: the real notary-server answers MALFORMED_JSON from targets
      // nested 9,999 deep (10,001 with the envelope's two), and reads 5,000 (measured against notary 0.7)
      [
        'targets nested 9,999 levels deep (10,001 in all)',
        `{"signed":{"_type":"Targets","expires":"2030-01-01T00:00:00Z","version":3,"targets":${'['.repeat(9_999)}${']'.repeat(9_999)}},"signatures":[]}`,
      ],
    ];
    for (const [name, data] of envelopes) {
      it(`${name} → MALFORMED_JSON`, () =>
        refused(name, () => post(MANAGED, multipart([{ filename: 'targets', bytes: data }])), 400, 'MALFORMED_JSON'));
    }

    it('a bad part after a good one, and a bad timestamp part → MALFORMED_JSON (every part is decoded)', async () => {
      const next = await targetsFile(managed, 'targets', 3, { delegate: true });
      await refused(
        'good then bad',
        () =>
          post(
            MANAGED,
            multipart([
              { filename: 'targets', bytes: next },
              { filename: 'root', bytes: 'garbage' },
            ]),
          ),
        400,
        'MALFORMED_JSON',
      );
      await refused(
        'bad timestamp',
        () =>
          post(
            MANAGED,
            multipart([
              { filename: 'targets', bytes: next },
              { filename: 'timestamp', bytes: '[1,2' },
            ]),
          ),
        400,
        'MALFORMED_JSON',
      );
    });

    it('an envelope whose content is not the role (targets as snapshot or root, a number as targets) → INVALID_UPDATE', async () => {
      const targets3 = await targetsFile(managed, 'targets', 3, { delegate: true });
      await refused(
        'targets as snapshot',
        () => post(MANAGED, multipart([{ filename: 'snapshot', bytes: targets3 }])),
        400,
        'INVALID_UPDATE',
        update('ErrBadSnapshot', 'snapshot type metadata invalid: expected type Snapshot, not Targets'),
      );
      await refused(
        'targets as root',
        () => post(MANAGED, multipart([{ filename: 'root', bytes: managed.published.get('targets@1')! }])),
        400,
        'INVALID_UPDATE',
        update('ErrBadRoot', /Root|root/),
      );
      await refused(
        'targets member is a number',
        () =>
          post(
            MANAGED,
            multipart([
              {
                filename: 'targets',
                bytes: '{"signed":{"_type":"Targets","expires":"2030-01-01T00:00:00Z","version":3,"targets":5},"signatures":[]}',
              },
            ]),
          ),
        400,
        'INVALID_UPDATE',
        update('ErrBadTargets', /targets/),
      );
      // (5,000 levels: still JSON to Go, so notary reads it and refuses the targets)
      const deep = `{"signed":{"_type":"Targets","expires":"2030-01-01T00:00:00Z","version":3,"targets":${'['.repeat(5_000)}${']'.repeat(5_000)}},"signatures":[]}`;
      await refused(
        'deeply nested',
        () => post(MANAGED, multipart([{ filename: 'targets', bytes: deep }])),
        400,
        'INVALID_UPDATE',
        update('ErrBadTargets', /targets/),
      );
    });
  });
});
