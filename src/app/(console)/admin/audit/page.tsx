import { AdminPage } from '@/components/admin/admin-page';

export default function AdminAuditPage() {
  return <AdminPage section="audit" />;
}
