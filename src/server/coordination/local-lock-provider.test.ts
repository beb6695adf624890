import { lockProviderContract } from './lock-provider.contract';
import { LocalLockProvider } from './local-lock-provider';

lockProviderContract('local', async () => {
  let now = Date.UTC(2024, 0, 1);
  const provider = new LocalLockProvider(() => now);
  return {
    provider,
    advance: async (ms) => {
      now += ms;
    },
    cleanup: () => provider.close(),
  };
});
