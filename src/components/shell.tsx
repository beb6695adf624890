'use client';
import Link from 'next/link';
import { usePathname, useRouter } from 'next/navigation';
import { type ReactNode, createContext, useCallback, useContext, useEffect, useRef, useState } from 'react';
import { trpc } from '@/lib/trpc';
import { IncidentBadge } from './alerts/incident-badge';
import { ThemeToggle } from './theme-toggle';

export interface Me {
  email: string;
  role: 'admin' | 'viewer';
}

const MeContext = createContext<Me | null>(null);
/** Asks the shell to re-check the session now (a live stream ended, a call was refused). */
const SessionCheckContext = createContext<() => void>(() => undefined);

/** Where a page goes when its session has ended: the sign-in page, which then says so. */
export const SESSION_ENDED_URL = '/login?ended=1';

/** The signed-in operator; only rendered inside {@link Shell}, which waits for it. */
export function useMe(): Me {
  const me = useContext(MeContext);
  if (!me) throw new Error('useMe outside the signed-in shell');
  return me;
}

interface NavItem {
  href: string;
  label: string;
  adminOnly?: boolean;
  /** Shows the open-incident count beside the label. */
  badge?: boolean;
}

/**
 * Re-checks the session when `liveStatus` leaves "pending" (connected): the server ends an open stream when its
 * session ends or its operator is disabled or re-roled, so a stream that stops is the moment to ask. If the session
 * is gone the shell takes the page to the sign-in page.
 */
export function useSessionCheckOn(liveStatus: string): void {
  const check = useContext(SessionCheckContext);
  const previous = useRef(liveStatus);
  useEffect(() => {
    if (previous.current === 'pending' && liveStatus !== 'pending') check();
    previous.current = liveStatus;
  }, [liveStatus, check]);
}

/** Domain pages first, administration last; the domain issues add their pages here. */
const NAV: NavItem[] = [
  { href: '/automations', label: 'Automations' },
  { href: '/inference', label: 'Inference' },
  { href: '/tenants', label: 'Tenants' },
  { href: '/alerts', label: 'Alert rules' },
  { href: '/incidents', label: 'Incidents', badge: true },
  { href: '/browser', label: 'Browser sessions' },
  { href: '/admin/tokens', label: 'API tokens', adminOnly: true },
  { href: '/admin/operators', label: 'Operators', adminOnly: true },
  { href: '/admin/audit', label: 'Audit log', adminOnly: true },
];

/** Page frame for signed-in operators: navigation, who is signed in, sign-out. Sends others to /login. */
export function Shell({ children }: { children: ReactNode }) {
  const router = useRouter();
  const pathname = usePathname();
  const me = trpc.auth.me.useQuery(undefined, { staleTime: 60_000 });
  const [menuOpen, setMenuOpen] = useState(false);
  const signedOutHere = useRef(false);
  const logout = trpc.auth.logout.useMutation({
    onMutate: () => {
      signedOutHere.current = true;
    },
    onSuccess: () => {
      announceSignOut();
      router.replace('/login');
    },
  });
  const refetchMe = me.refetch;
  const check = useCallback(() => void refetchMe(), [refetchMe]);

  useEffect(() => {
    if (me.isSuccess && me.data === null) router.replace(signedOutHere.current ? '/login' : SESSION_ENDED_URL);
  }, [me.isSuccess, me.data, router]);
  // Another tab of this browser signed out: the session cookie is gone for this one too.
  useEffect(() => {
    if (typeof BroadcastChannel === 'undefined') return;
    const channel = new BroadcastChannel(SIGN_OUT_CHANNEL);
    channel.onmessage = () => check();
    return () => channel.close();
  }, [check]);
  // A new page closes the phone menu.
  useEffect(() => setMenuOpen(false), [pathname]);

  if (!me.data) {
    return <p className="p-6 text-sm text-slate-500">{me.isError ? `Cannot reach the console: ${me.error.message}` : 'Loading…'}</p>;
  }

  return (
    <MeContext.Provider value={me.data}>
      <SessionCheckContext.Provider value={check}>
        <a href="#main" className="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:rounded focus:bg-white focus:px-3 focus:py-2">
          Skip to content
        </a>
        <header className="border-b border-slate-200 bg-white">
          <div className="mx-auto flex max-w-7xl flex-wrap items-center gap-x-6 gap-y-2 px-4 py-3">
            <span className="font-semibold">Automations Console</span>
            <button
              type="button"
              aria-expanded={menuOpen}
              aria-controls="site-menu"
              onClick={() => setMenuOpen((open) => !open)}
              className="ml-auto rounded-md border border-slate-300 px-3 py-1.5 text-sm font-medium sm:hidden"
            >
              {menuOpen ? 'Close menu' : 'Menu'}
            </button>
            <div
              id="site-menu"
              className={`${menuOpen ? 'flex' : 'hidden'} w-full flex-col gap-3 sm:flex sm:w-auto sm:flex-1 sm:flex-row sm:flex-wrap sm:items-center sm:gap-x-6`}
            >
              <nav aria-label="Main" className="flex flex-col text-sm sm:flex-row sm:flex-wrap sm:gap-x-4 sm:gap-y-1">
                {NAV.filter((item) => !item.adminOnly || me.data?.role === 'admin').map((item) => (
                  <Link
                    key={item.href}
                    href={item.href}
                    aria-current={pathname === item.href ? 'page' : undefined}
                    className={pathname === item.href ? 'font-semibold text-indigo-700' : 'text-slate-600 hover:text-slate-900'}
                  >
                    {item.label}
                    {item.badge ? <IncidentBadge /> : null}
                  </Link>
                ))}
              </nav>
              <div className="flex flex-wrap items-center gap-3 text-sm sm:ml-auto">
                <ThemeToggle />
                <Link href="/account" className="tap text-slate-600 hover:text-slate-900" title="Your account">
                  {me.data.email} <span className="ml-1 rounded bg-slate-100 px-1.5 py-0.5 text-xs uppercase text-slate-700">{me.data.role}</span>
                </Link>
                <button type="button" onClick={() => logout.mutate()} className="rounded-md border border-slate-300 px-2 py-1 hover:bg-slate-50">
                  Sign out
                </button>
              </div>
            </div>
          </div>
        </header>
        <main id="main" className="mx-auto max-w-7xl p-4">
          {children}
        </main>
      </SessionCheckContext.Provider>
    </MeContext.Provider>
  );
}

const SIGN_OUT_CHANNEL = 'automations-console-session';

/** Tells this browser's other tabs that the session ended (they re-check and go to the sign-in page). */
function announceSignOut(): void {
  if (typeof BroadcastChannel === 'undefined') return;
  const channel = new BroadcastChannel(SIGN_OUT_CHANNEL);
  channel.postMessage('signed-out');
  channel.close();
}
