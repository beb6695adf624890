import { LoginForm } from '@/components/login-form';

export const metadata = { title: 'Sign in · Automations Console' };

export default function LoginPage() {
  return (
    <main className="flex min-h-screen items-center justify-center p-4">
      <LoginForm />
    </main>
  );
}
