import { LoginForm } from '@/components/login-form';

export const metadata = { title: 'Sign in · Automations Console' };

export default async function LoginPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { ended } = await searchParams;
  return (
    <main className="flex min-h-screen items-center justify-center p-4">
      <LoginForm sessionEnded={ended === '1'} />
    </main>
  );
}
