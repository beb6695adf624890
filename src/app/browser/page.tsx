import { SessionsBoard } from '@/components/browser/sessions-board';
import { Shell } from '@/components/shell';

export const metadata = { title: 'Browser sessions · Automations Console' };

export default function BrowserPage() {
  return (
    <Shell>
      <SessionsBoard />
    </Shell>
  );
}
