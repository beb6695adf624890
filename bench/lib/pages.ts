import http from 'node:http';

/**
 * The page every browser session opens, served from this process on 127.0.0.1: a few KiB of text and styles,
 * like an ordinary app page, the same for the console's sessions and the bare Playwright contexts.
 */
const PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>bench page</title>
<style>body{font-family:sans-serif;margin:2rem}li{padding:.25rem 0;border-bottom:1px solid #ddd}</style></head>
<body><h1>Benchmark page</h1><ul>${Array.from({ length: 200 }, (_, i) => `<li>Row ${i}: ${'lorem ipsum '.repeat(4)}</li>`).join('')}</ul>
<script>document.title = 'bench page ' + document.querySelectorAll('li').length;</script></body></html>`;

export async function startPageServer(): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(PAGE);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('page server has no address');
  return {
    url: `http://127.0.0.1:${address.port}/page`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
