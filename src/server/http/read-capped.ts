import 'server-only';
/**
 * Reads a request body up to `limit` bytes, counting as it streams; null as soon as it is over (a declared length
 * over the limit is refused before reading). What was read is dropped, so a large body costs at most `limit` of
 * memory. The rest is left unread rather than cancelled: cancelling would close the connection before the answer
 * is written, and scripts/server.mjs closes a connection whose request was answered before it was received in full.
 */
export async function readCapped(req: Request, limit: number): Promise<Uint8Array<ArrayBuffer> | null> {
  const declared = Number(req.headers.get('content-length') ?? '0');
  if (declared > limit) return null;
  if (!req.body) return new Uint8Array(new ArrayBuffer(0));
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      reader.releaseLock();
      return null;
    }
    chunks.push(value);
  }
  const body = new Uint8Array(new ArrayBuffer(size));
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}
