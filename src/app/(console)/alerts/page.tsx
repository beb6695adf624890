import { RulesBoard } from '@/components/alerts/rules-board';

export const metadata = { title: 'Alert rules · Automations Console' };

export default function AlertsPage() {
  return <RulesBoard />;
}
