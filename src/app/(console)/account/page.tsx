import { AccountPage } from '@/components/account-page';

export const metadata = { title: 'Account · Automations Console' };

export default function Account() {
  return <AccountPage />;
}
