import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { type ConsoleProcess, ensureBuild, startConsole } from '../src/server/testing/console-process';
import { type TestContainer, testContainer } from '../src/server/testing/container';
import { tempDir } from '../src/server/testing/services';
import { report, sleep } from './cluster';
import { testCaller } from '../src/server/testing/callers';

describe('data safety on the embedded SQLite database', () => {
  const data = tempDir('sqlite-writers');
  const env = {
    DATA_DIR: data.dir,
    CONSOLE_ADMIN_PASSWORD: 'reliability-password',
    API_RATE_LIMIT_PER_MINUTE: '1000000',
    AUTOMATION_SCHEDULE_ALERT_EVALUATION: '* * * * * *',
    AUTOMATION_SCHEDULE_INFERENCE_MONITORING_POLL: '* * * * * *',
    AUTOMATION_SCHEDULE_BROWSER_SESSION_REAPER: '* * * * * *',
    DATABASE_URL: '',
    REDIS_URL: '',
  };
  const processes: ConsoleProcess[] = [];
  let db: TestContainer | null = null;
  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop('SIGKILL')));
    await db?.close();
    data.cleanup();
  });

  it('two processes writing one SQLite file never fail with "database is locked", and a kill -9 leaves consistent rows', async () => {
    ensureBuild();
    const a = await startConsole({ ...env, INSTANCE_ID: 'sqlite-a' });
    const b = await startConsole({ ...env, INSTANCE_ID: 'sqlite-b' });
    processes.push(a, b);
    db = await testContainer('sqlite-local', {}, { DATA_DIR: data.dir });
    const { token } = await db.c.tokens.create(testCaller('test'), { name: 'writer', scopes: ['automations:read', 'automations:write'] });

    const statuses: Record<number, number> = {};
    const failures: string[] = [];
    const actions = ['pause', 'resume', 'run'];
    const keys = ['alert-evaluation', 'inference-monitoring-poll', 'browser-session-reaper'];
    const hammer = async (p: ConsoleProcess, n: number) => {
      for (let i = 0; i < n; i++) {
        const action = actions[i % actions.length] ?? 'run';
        const key = keys[(i >> 1) % keys.length] ?? 'alert-evaluation';
        const res = await fetch(`${p.url}/api/client/v1/automations/${key}/${action}`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
        if (res.status !== 200) failures.push(`${action} ${key} → ${res.status} ${(await res.text()).slice(0, 200)}`);
      }
    };
    await Promise.all([hammer(a, 150), hammer(b, 150), hammer(a, 150), hammer(b, 150)]);
    const locked = /database is locked|SQLITE_BUSY/i;
    report('SQLite writers', `600 control requests over 2 processes on one file with every-second schedules: statuses ${JSON.stringify(statuses)}`);
    expect(failures.slice(0, 10)).toEqual([]);
    expect(a.output()).not.toMatch(locked);
    expect(b.output()).not.toMatch(locked);

    // kill -9 in the middle of the schedule, then restart: nothing it had in flight stays "running"
    a.child.kill('SIGKILL');
    await sleep(1500);
    const restarted = await startConsole({ ...env, INSTANCE_ID: 'sqlite-a' });
    processes.push(restarted);
    const stuck = await db.c.database.db
      .selectFrom('automation_runs')
      .select(['id', 'started_at'])
      .where('instance_id', '=', 'sqlite-a')
      .where('outcome', '=', 'running')
      .where('started_at', '<', Date.now() - 5000)
      .execute();
    expect(stuck).toEqual([]);
    const integrity = await sql<{ integrity_check: string }>`PRAGMA integrity_check`.execute(db.c.database.db);
    expect(integrity.rows[0]?.integrity_check).toBe('ok');
    const duplicates = await db.c.database.db
      .selectFrom('automation_runs')
      .select(['automation_key', 'slot', (eb) => eb.fn.countAll<number>().as('n')])
      .where('slot', 'is not', null)
      .groupBy(['automation_key', 'slot'])
      .having((eb) => eb.fn.countAll(), '>', 1)
      .execute();
    expect(duplicates).toEqual([]);
    expect(restarted.output()).not.toMatch(locked);
  });
});
