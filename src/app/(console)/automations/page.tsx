import { AutomationsBoard } from '@/components/automations/automations-board';

export const metadata = { title: 'Automations · Automations Console' };

export default function AutomationsPage() {
  return <AutomationsBoard />;
}
