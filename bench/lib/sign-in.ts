import type { ServerProcess } from './processes';

/** Signs the first admin in over tRPC, as the console's page does; the session cookie (`ac_session=…`) to send back. */
export async function signIn(server: ServerProcess, password: string): Promise<string> {
  const res = await fetch(`${server.url}/api/trpc/auth.login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'admin@console.local', password }),
  });
  await res.arrayBuffer();
  const cookie = res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .find((c) => c?.startsWith('ac_session='));
  if (res.status !== 200 || !cookie) throw new Error(`sign-in on ${server.url} answered ${res.status}`);
  return cookie;
}
