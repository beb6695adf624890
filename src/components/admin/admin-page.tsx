'use client';
import { useMe } from '../shell';
import { useNow } from '@/lib/use-now';
import { AuditLogView } from './audit-log';
import { OperatorsAdmin } from './operators-admin';
import { TokensAdmin } from './tokens-admin';

const SECTIONS = {
  tokens: { title: 'API tokens', intro: 'Tokens let scripts and services use the REST API under /api/client/v1.', Body: TokensAdmin },
  operators: { title: 'Operators', intro: 'People who sign in to this console. Viewers can look; admins can act.', Body: OperatorsAdmin },
  audit: { title: 'Audit log', intro: 'Every control action from every surface: who, what, where and how it ended.', Body: AuditLogView },
} as const;

/** An administration page; viewers are told it is for admins instead of seeing errors. */
export function AdminPage({ section }: { section: keyof typeof SECTIONS }) {
  const me = useMe();
  const now = useNow();
  const { title, intro, Body } = SECTIONS[section];
  return (
    <section aria-labelledby="admin-title">
      <h1 id="admin-title" className="text-xl font-semibold">
        {title}
      </h1>
      <p className="mb-4 mt-1 text-sm text-slate-600">{intro}</p>
      {me.role === 'admin' ? (
        <Body now={now} />
      ) : (
        <p role="alert" className="text-sm text-slate-700">
          This page is for admins. Ask an admin to change your role if you need it.
        </p>
      )}
    </section>
  );
}
