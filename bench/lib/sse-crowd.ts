import net from 'node:net';

/**
 * Many SSE streams held over raw sockets (one HTTP/1.1 GET each), cheap enough on the client side that 10,000 of
 * them in one process measure the server, not the client: bytes are not parsed into events, each stream only looks
 * for the marker it is told to wait for and notes when it arrived (performance.now()).
 */
export class SseCrowd {
  private readonly sockets: net.Socket[] = [];
  private marker: { text: string; arrivals: Float64Array; seen: Uint8Array; left: number; done: () => void } | null = null;

  constructor(
    private readonly port: number,
    private readonly path: string,
    private readonly headers: Record<string, string>,
  ) {}

  size(): number {
    return this.sockets.length;
  }

  /** Opens `count` more streams, `parallel` at a time, each resolved once its first event (the snapshot) arrived. */
  async open(count: number, parallel = 200): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < count) {
        next++;
        await this.openOne();
      }
    };
    await Promise.all(Array.from({ length: parallel }, worker));
  }

  private openOne(): Promise<void> {
    const index = this.sockets.length;
    return new Promise((resolve, reject) => {
      const socket = net.connect(this.port, '127.0.0.1');
      this.sockets.push(socket);
      let answered = false;
      let opened = false;
      const head = [
        `GET ${this.path} HTTP/1.1`,
        'Host: 127.0.0.1',
        'Accept: text/event-stream',
        ...Object.entries(this.headers).map(([k, v]) => `${k}: ${v}`),
        '',
        '',
      ].join('\r\n');
      socket.setNoDelay(true);
      socket.on('connect', () => socket.write(head));
      socket.on('data', (chunk: Buffer) => {
        const text = chunk.toString('latin1');
        if (!answered) {
          answered = true;
          if (!text.startsWith('HTTP/1.1 200')) return reject(new Error(`stream ${index} answered ${text.split('\r\n')[0]}`));
        }
        if (!opened) {
          if (text.includes('"kind":"snapshot"')) {
            opened = true;
            resolve();
          }
          return;
        }
        const m = this.marker;
        if (m && m.seen[index] === 0 && text.includes(m.text)) {
          m.seen[index] = 1;
          m.arrivals[index] = performance.now();
          if (--m.left === 0) m.done();
        }
      });
      socket.on('error', (error) => (opened ? undefined : reject(error)));
    });
  }

  /**
   * Resolves with each stream's arrival time of the next chunk holding `text` (NaN for a stream that did not get it
   * within `timeoutMs`).
   */
  waitFor(text: string, timeoutMs: number): { arrivals: Promise<Float64Array> } {
    const n = this.sockets.length;
    return {
      arrivals: new Promise((resolve) => {
        const arrivals = new Float64Array(n).fill(Number.NaN);
        const timer = setTimeout(() => {
          this.marker = null;
          resolve(arrivals);
        }, timeoutMs);
        this.marker = {
          text,
          arrivals,
          seen: new Uint8Array(n),
          left: n,
          done: () => {
            clearTimeout(timer);
            this.marker = null;
            resolve(arrivals);
          },
        };
      }),
    };
  }

  close(): void {
    for (const s of this.sockets) s.destroy();
    this.sockets.length = 0;
  }
}
