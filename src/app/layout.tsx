import type { Metadata, Viewport } from 'next';
import { connection } from 'next/server';
import type { ReactNode } from 'react';
import { Providers } from '@/components/providers';
import './globals.css';

export const metadata: Metadata = {
  title: 'Automations Console',
  description: 'Live state and control of the platform’s background automations',
};

export const viewport: Viewport = { width: 'device-width', initialScale: 1 };

/**
 * Rendered per request (never prerendered): the Content Security Policy's script nonce is new for every response
 * (src/proxy.ts), and the framework can only put it on scripts it renders for that request.
 */
export default async function RootLayout({ children }: { children: ReactNode }) {
  await connection();
  return (
    <html lang="en">
      <body className="min-h-screen font-sans">
        <Providers>{children}</Providers>
      </body>
    </html>
  );
}
