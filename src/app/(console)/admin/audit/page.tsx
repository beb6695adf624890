import { AdminPage } from '@/components/admin/admin-page';

export const metadata = { title: 'Audit log · Automations Console' };

export default function AdminAuditPage() {
  return <AdminPage section="audit" />;
}
