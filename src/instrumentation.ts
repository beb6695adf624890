/**
 * Next.js calls register() once per server process. Background work (migrations, scheduler, heartbeat,
 * boot reconciliation) starts here and only here; Node-only modules are imported inside the runtime check.
 */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== 'nodejs') return;
  const { startServerProcess } = await import('./server/boot');
  await startServerProcess();
}
