import { AdminPage } from '@/components/admin/admin-page';

export default function AdminTokensPage() {
  return <AdminPage section="tokens" />;
}
