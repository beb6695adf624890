import { SESSION_COOKIE } from '../auth/operator.service';
import type { Container } from '../container';
import type { TrpcContext } from './init';

export function readCookie(header: string | null, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

export async function createTrpcContext(c: Container, req: Request, resHeaders: Headers): Promise<TrpcContext> {
  const sessionToken = readCookie(req.headers.get('cookie'), SESSION_COOKIE);
  const operator = await c.operators.fromSession(sessionToken);
  const forwarded = req.headers.get('x-forwarded-for')?.split(',')[0]?.trim();
  const secure = req.headers.get('x-forwarded-proto') === 'https' || new URL(req.url).protocol === 'https:';
  return { c, operator, sessionToken, resHeaders, clientKey: forwarded || 'local', secure };
}

export function sessionCookie(value: string, maxAgeSeconds: number, secure: boolean): string {
  return [
    `${SESSION_COOKIE}=${encodeURIComponent(value)}`,
    'Path=/',
    'HttpOnly',
    'SameSite=Lax',
    `Max-Age=${maxAgeSeconds}`,
    ...(secure ? ['Secure'] : []),
  ].join('; ');
}
