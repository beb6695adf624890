import { AccountPage } from '@/components/account-page';
import { Shell } from '@/components/shell';

export const metadata = { title: 'Account · Automations Console' };

export default function Account() {
  return (
    <Shell>
      <AccountPage />
    </Shell>
  );
}
