/**
 * The text/event-stream format (Server-Sent Events), read incrementally: text goes in as it
 * arrives, in pieces cut anywhere, and the events it completes come out. Lines end with CRLF, LF
 * or CR; `field: value` (one space after the colon dropped); a line starting with ':' is a
 * comment; an empty line ends an event, which is dispatched when it has data (several `data`
 * lines joined by '\n'). The last `id` seen stays the event ID of the events after it (what a
 * reconnection sends as Last-Event-ID); `event` names one event only ('message' otherwise).
 */

export interface StreamEvent {
  id?: string;
  event: string;
  data: string;
}

export interface SseParser {
  /** the events completed by `text` (the next piece of the stream, decoded) */
  push(text: string): StreamEvent[];
}

export function sseParser(): SseParser {
  let buf = '';
  let data: string[] = [];
  let id: string | undefined;
  let event = 'message';

  const line = (l: string, out: StreamEvent[]) => {
    if (l === '') {
      if (data.length) out.push({ ...(id !== undefined ? { id } : {}), event, data: data.join('\n') });
      data = [];
      event = 'message';
      return;
    }
    if (l.startsWith(':')) return;
    const colon = l.indexOf(':');
    const field = colon < 0 ? l : l.slice(0, colon);
    const value = colon < 0 ? '' : l.slice(colon + 1).replace(/^ /, '');
    if (field === 'data') data.push(value);
    else if (field === 'id') {
      if (!value.includes('\0')) id = value;
    } else if (field === 'event') event = value;
    // other fields (retry, unknown ones) are ignored
  };

  // the last piece ended in CR: a LF first in the next one is the second half of that CRLF
  let afterCr = false;
  return {
    push(text) {
      if (text === '') return [];
      if (afterCr && text.startsWith('\n')) text = text.slice(1);
      afterCr = text.endsWith('\r');
      buf += text;
      const out: StreamEvent[] = [];
      let nl: number;
      while ((nl = buf.search(/[\r\n]/)) >= 0) {
        line(buf.slice(0, nl), out);
        buf = buf.slice(buf.startsWith('\r\n', nl) ? nl + 2 : nl + 1);
      }
      return out;
    },
  };
}
