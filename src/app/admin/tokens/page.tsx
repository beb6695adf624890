import { AdminPage } from '@/components/admin/admin-page';
import { Shell } from '@/components/shell';

export default function AdminTokensPage() {
  return (
    <Shell>
      <AdminPage section="tokens" />
    </Shell>
  );
}
