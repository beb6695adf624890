import 'server-only';
import { SESSION_COOKIE } from '../auth/operator.service';
import type { Container } from '../container';
import { clientAddress, clientLimitKey, clientUsesHttps } from '../http/client-address';
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

export async function createTrpcContext(container: Container, req: Request, resHeaders: Headers): Promise<TrpcContext> {
  const sessionToken = readCookie(req.headers.get('cookie'), SESSION_COOKIE);
  const operator = await container.operators.fromSession(sessionToken);
  const hops = container.config.TRUSTED_PROXY_HOPS;
  const clientKey = clientLimitKey(clientAddress(req.headers, hops));
  const secure = clientUsesHttps(req.headers, hops, container.config.COOKIE_SECURE);
  return { container, operator, sessionToken, resHeaders, clientKey, secure };
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
