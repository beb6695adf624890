import { AdminPage } from '@/components/admin/admin-page';
import { Shell } from '@/components/shell';

export default function AdminAuditPage() {
  return (
    <Shell>
      <AdminPage section="audit" />
    </Shell>
  );
}
