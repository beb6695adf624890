import { IncidentsBoard } from '@/components/alerts/incidents-board';

export const metadata = { title: 'Incidents · Automations Console' };

export default function IncidentsPage() {
  return <IncidentsBoard />;
}
