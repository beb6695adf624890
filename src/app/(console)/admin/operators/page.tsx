import { AdminPage } from '@/components/admin/admin-page';

export const metadata = { title: 'Operators · Automations Console' };

export default function AdminOperatorsPage() {
  return <AdminPage section="operators" />;
}
