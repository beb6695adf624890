'use client';
import Link from 'next/link';
import { usePathname, useRouter } from 'next/navigation';
import { type ReactNode, createContext, useContext, useEffect } from 'react';
import { trpc } from '@/lib/trpc';
import { IncidentBadge } from './alerts/incident-badge';

export interface Me {
  email: string;
  role: 'admin' | 'viewer';
}

const MeContext = createContext<Me | null>(null);

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
  const logout = trpc.auth.logout.useMutation({ onSuccess: () => router.replace('/login') });

  useEffect(() => {
    if (me.isSuccess && me.data === null) router.replace('/login');
  }, [me.isSuccess, me.data, router]);

  if (!me.data) {
    return <p className="p-6 text-sm text-slate-500">{me.isError ? `Cannot reach the console: ${me.error.message}` : 'Loading…'}</p>;
  }

  return (
    <MeContext.Provider value={me.data}>
      <a href="#main" className="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:rounded focus:bg-white focus:px-3 focus:py-2">
        Skip to content
      </a>
      <header className="border-b border-slate-200 bg-white">
        <div className="mx-auto flex max-w-7xl flex-wrap items-center gap-x-6 gap-y-2 px-4 py-3">
          <span className="font-semibold">Automations Console</span>
          <nav aria-label="Main" className="flex flex-wrap gap-x-4 gap-y-1 text-sm">
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
          <div className="ml-auto flex items-center gap-3 text-sm">
            <Link href="/account" className="text-slate-600 hover:text-slate-900" title="Your account">
              {me.data.email} <span className="rounded bg-slate-100 px-1.5 py-0.5 text-xs uppercase">{me.data.role}</span>
            </Link>
            <button type="button" onClick={() => logout.mutate()} className="rounded-md border border-slate-300 px-2 py-1 hover:bg-slate-50">
              Sign out
            </button>
          </div>
        </div>
      </header>
      <main id="main" className="mx-auto max-w-7xl p-4">{children}</main>
    </MeContext.Provider>
  );
}
