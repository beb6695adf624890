import { AdminPage } from '@/components/admin/admin-page';
import { Shell } from '@/components/shell';

export default function AdminOperatorsPage() {
  return (
    <Shell>
      <AdminPage section="operators" />
    </Shell>
  );
}
