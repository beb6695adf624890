import { AdminPage } from '@/components/admin/admin-page';

export const metadata = { title: 'API tokens · Automations Console' };

export default function AdminTokensPage() {
  return <AdminPage section="tokens" />;
}
