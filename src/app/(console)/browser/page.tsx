import { SessionsBoard } from '@/components/browser/sessions-board';

export const metadata = { title: 'Browser sessions · Automations Console' };

export default function BrowserPage() {
  return <SessionsBoard />;
}
