import { AdminPage } from '@/components/admin/admin-page';

export default function AdminOperatorsPage() {
  return <AdminPage section="operators" />;
}
