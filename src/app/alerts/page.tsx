import { RulesBoard } from '@/components/alerts/rules-board';
import { Shell } from '@/components/shell';

export const metadata = { title: 'Alert rules · Automations Console' };

export default function AlertsPage() {
  return (
    <Shell>
      <RulesBoard />
    </Shell>
  );
}
