import http from 'node:http';

export interface SseMessage {
  event: string;
  data: string;
  /** performance.now() when the message's last byte arrived. */
  at: number;
}

/**
 * A minimal Server-Sent Events reader over node:http (no EventSource in Node 20): one GET, messages split on blank
 * lines, `event:` and `data:` fields read, comments (keep-alive pings) skipped.
 */
export function openSse(url: string, headers: Record<string, string>, onMessage: (m: SseMessage) => void): Promise<{ close(): void }> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { headers: { accept: 'text/event-stream', ...headers } }, (response) => {
      if (response.statusCode !== 200) {
        reject(new Error(`SSE ${url} answered ${response.statusCode}`));
        response.resume();
        return;
      }
      response.setEncoding('utf8');
      let buffer = '';
      response.on('data', (chunk: string) => {
        buffer += chunk;
        let end = buffer.search(/\r?\n\r?\n/);
        while (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end).replace(/^\r?\n\r?\n/, '');
          let event = 'message';
          const data: string[] = [];
          for (const line of block.split(/\r?\n/)) {
            if (line.startsWith(':')) continue;
            const colon = line.indexOf(':');
            const field = colon < 0 ? line : line.slice(0, colon);
            const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
            if (field === 'event') event = value;
            else if (field === 'data') data.push(value);
          }
          if (data.length > 0 || event !== 'message') onMessage({ event, data: data.join('\n'), at: performance.now() });
          end = buffer.search(/\r?\n\r?\n/);
        }
      });
      resolve({ close: () => request.destroy() });
    });
    request.on('error', (error) => reject(error));
  });
}
