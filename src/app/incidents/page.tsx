import { IncidentsBoard } from '@/components/alerts/incidents-board';
import { Shell } from '@/components/shell';

export const metadata = { title: 'Incidents · Automations Console' };

export default function IncidentsPage() {
  return (
    <Shell>
      <IncidentsBoard />
    </Shell>
  );
}
