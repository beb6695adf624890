import { TenantsBoard } from '@/components/tenants/tenants-board';

export const metadata = { title: 'Tenants · Automations Console' };

export default function TenantsPage() {
  return <TenantsBoard />;
}
