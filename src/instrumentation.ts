/**
 * Next.js calls register() once per server process. Background work (migrations, scheduler, heartbeat,
 * boot reconciliation) starts here and only here; Node-only modules are imported inside the runtime check.
 */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== 'nodejs') return;
  const { startBackgroundWork } = await import('./server/boot');
  try {
    await startBackgroundWork({ handleSignals: true });
  } catch (error) {
    // A bad configuration or an unreachable database is fatal: say why and stop, rather than serve errors.
    console.error(`Automations Console failed to start: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}
