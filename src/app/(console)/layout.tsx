import type { ReactNode } from 'react';
import { Shell } from '@/components/shell';

/**
 * Every signed-in page shares one frame (navigation, who is signed in, the redirect to /login). A route group: the
 * folder name is not part of any URL. The root layout above still renders each request afresh for the CSP nonce.
 */
export default function ConsoleLayout({ children }: { children: ReactNode }) {
  return <Shell>{children}</Shell>;
}
