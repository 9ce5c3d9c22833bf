/** ui/src/sse-parser.ts: the text/event-stream format, fed whole and in pieces cut anywhere. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sseParser, type StreamEvent } from '../../ui/src/sse-parser.js';

/** The events of `pieces` pushed one after the other into one parser. */
function events(...pieces: string[]): StreamEvent[] {
  const p = sseParser();
  return pieces.flatMap((piece) => p.push(piece));
}

/** The events of `text` cut into pieces of `size` characters. */
function inPieces(text: string, size: number): StreamEvent[] {
  const pieces: string[] = [];
  for (let i = 0; i < text.length; i += size) pieces.push(text.slice(i, i + size));
  return events(...pieces);
}

const STREAM =
  ': a comment, then a record\r\n' +
  'id: 41\r\n' +
  'event: decision\r\n' +
  'data: {"id":41,\r\n' +
  'data:"verdict":"deny"}\r\n' +
  '\r\n' +
  'data: no id of its own\n' +
  '\n' +
  'id: 42\r' +
  'data: CR alone ends lines too\r' +
  '\r';

const EXPECTED: StreamEvent[] = [
  { id: '41', event: 'decision', data: '{"id":41,\n"verdict":"deny"}' },
  { id: '41', event: 'message', data: 'no id of its own' },
  { id: '42', event: 'message', data: 'CR alone ends lines too' },
];

describe('sseParser', () => {
  it('reads events: ids kept for the events after, event names for one event, data lines joined, comments skipped', () => {
    assert.deepEqual(events(STREAM), EXPECTED);
  });

  it('reads the same events whatever the pieces the text arrives in (a CRLF cut in two included)', () => {
    for (let size = 1; size <= 12; size++) assert.deepEqual(inPieces(STREAM, size), EXPECTED, `pieces of ${size}`);
    assert.deepEqual(events('data: a\r', '', '\n', '\r', '\n'), [{ event: 'message', data: 'a' }]);
    // a CR last in a piece ends its line at once: the event does not wait for the next piece
    assert.deepEqual(events('data: b\r\r'), [{ event: 'message', data: 'b' }]);
  });

  it('dispatches an event only at its empty line, and only with data', () => {
    const p = sseParser();
    assert.deepEqual(p.push('data: x\n'), []);
    assert.deepEqual(p.push('\n'), [{ event: 'message', data: 'x' }]);
    assert.deepEqual(p.push('event: ping\nid: 7\n\n'), [], 'no data: nothing dispatched');
    // the event name went with that empty event; the id stays
    assert.deepEqual(p.push('data: y\n\n'), [{ id: '7', event: 'message', data: 'y' }]);
  });

  it('reads fields as the format says: one space dropped, a field without colon, an empty data line, unknown fields', () => {
    assert.deepEqual(events('data:  two spaces\n\n'), [{ event: 'message', data: ' two spaces' }]);
    assert.deepEqual(events('data\n\n'), [{ event: 'message', data: '' }]);
    assert.deepEqual(events('data: a\ndata:\ndata: b\n\n'), [{ event: 'message', data: 'a\n\nb' }]);
    assert.deepEqual(events('retry: 3000\nfoo: bar\ndata: z\n\n'), [{ event: 'message', data: 'z' }]);
    assert.deepEqual(events('data: a: b\n\n'), [{ event: 'message', data: 'a: b' }]);
  });

  it('ignores an id with a NUL in it, keeping the one before', () => {
    assert.deepEqual(events('id: 1\ndata: a\n\nid: 2\0\ndata: b\n\n'), [
      { id: '1', event: 'message', data: 'a' },
      { id: '1', event: 'message', data: 'b' },
    ]);
  });

  it('keeps an unfinished event until its empty line comes', () => {
    const p = sseParser();
    assert.deepEqual(p.push('data: half'), []);
    assert.deepEqual(p.push(' and half\n'), []);
    assert.deepEqual(p.push('\n'), [{ event: 'message', data: 'half and half' }]);
  });
});
