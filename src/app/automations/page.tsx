import { AutomationsBoard } from '@/components/automations-board';
import { Shell } from '@/components/shell';

export const metadata = { title: 'Automations · Automations Console' };

export default function AutomationsPage() {
  return (
    <Shell>
      <AutomationsBoard />
    </Shell>
  );
}
