import { afterEach, describe, expect, it } from 'vitest';
import { AuditLog } from '../audit/audit-log';
import type { Envelope } from '../coordination/change-bus';
import { type TestContainer, type Topology, testContainer } from '../testing/container';
import { postgresAvailable, redisAvailable } from '../testing/services';
import { OperatorService } from './operator.service';
import { SessionService } from './session.service';
import { SignInGuard } from './sign-in-guard';
import { testCaller } from '../testing/callers';

const MINUTE = 60_000;

function describeTopology(topology: Topology, available: boolean): void {
  describe.skipIf(!available)(`operator sessions (${topology})`, () => {
    let t: TestContainer;
    afterEach(async () => {
      await t.close();
    });

    /** Services on the container's database and bus, with a clock the test moves. */
    async function setup(idleMinutes = 30) {
      t = await testContainer(topology);
      let clock = Date.now();
      const now = () => clock;
      const audit = new AuditLog(t.c.database.db, 'test', now);
      const signIn = new SignInGuard(
        { redis: null, prefix: 'session-test:' },
        { concurrency: 1, queue: 16, freeAttempts: 5, backoffBaseSeconds: 2, backoffMaxSeconds: 900, clientFailures: 100, accountFailures: 100 },
      );
      const operators = new OperatorService(t.c.database.db, t.c.bus, audit, now, signIn, idleMinutes * MINUTE);
      const sessions = new SessionService(
        t.c.database.db,
        t.c.bus,
        audit,
        { idleTimeoutMs: idleMinutes * MINUTE, failedLoginRetentionMs: 30 * 1440 * MINUTE },
        () => undefined,
        now,
      );
      const ops = await operators.create(testCaller('test'), { email: 'ops@example.com', password: 'ops-password', role: 'viewer' });
      const events: Envelope[] = [];
      t.c.bus.subscribe((event) => events.push(event));
      return {
        operators,
        sessions,
        ops,
        events,
        advance: (ms: number) => {
          clock += ms;
        },
        lastSeen: async () =>
          (await t.c.database.db.selectFrom('operator_sessions').select('last_seen_at').where('operator_id', '=', ops.id).execute()).map((r) => r.last_seen_at),
      };
    }

    it('ends a session after the idle timeout; each request moves the end, written at most once a minute', async () => {
      const s = await setup(30);
      const { sessionToken } = await s.operators.login('ops@example.com', 'ops-password', 'client-1');

      s.advance(20 * MINUTE);
      expect(await s.operators.fromSession(sessionToken)).toMatchObject({ email: 'ops@example.com' });
      await new Promise((resolve) => setTimeout(resolve, 50)); // the last-seen write is off the request path
      const firstWrite = await s.lastSeen();
      expect(firstWrite).toEqual([expect.any(Number)]);
      s.advance(30 * 1000);
      expect(await s.operators.fromSession(sessionToken)).not.toBeNull();
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(await s.lastSeen()).toEqual(firstWrite);

      // 20 + 0.5 + 29 minutes since sign-in, 29.5 since the last recorded request: alive only because it slid
      s.advance(29 * MINUTE);
      expect(await s.operators.fromSession(sessionToken)).not.toBeNull();
      s.advance(31 * MINUTE);
      expect(await s.operators.fromSession(sessionToken)).toBeNull();
    });

    it('lists an operator’s sessions and ends one or all of them, audited and announced on the bus', async () => {
      const s = await setup();
      const first = await s.operators.login('ops@example.com', 'ops-password', 'client-1');
      const second = await s.operators.login('ops@example.com', 'ops-password', 'client-2');
      const listed = await s.sessions.list(s.ops.id, second.sessionToken);
      expect(listed).toHaveLength(2);
      expect(listed.filter((v) => v.current)).toHaveLength(1);
      expect(JSON.stringify(listed)).not.toContain(first.sessionToken);

      const other = listed.find((v) => !v.current);
      expect(await s.sessions.end(testCaller('operator:admin@example.com'), s.ops.id, other?.id)).toEqual({ ended: 1 });
      expect(await s.operators.fromSession(first.sessionToken)).toBeNull();
      expect(await s.operators.fromSession(second.sessionToken)).not.toBeNull();

      expect(await s.sessions.end(testCaller('operator:admin@example.com'), s.ops.id, undefined)).toEqual({ ended: 1 });
      expect(await s.operators.fromSession(second.sessionToken)).toBeNull();
      expect(await s.sessions.end(testCaller('operator:admin@example.com'), s.ops.id, undefined)).toEqual({ ended: 0 });

      expect(s.events.filter((e) => e.type === 'sessions')).toHaveLength(3);
      const audit = await t.c.audit.list({ target: 'ops@example.com', limit: 10 });
      expect(audit.map((a) => `${a.action} ${a.outcome}`)).toEqual(
        expect.arrayContaining(['operator.sessions.end ended 1', 'operator.sessions.end-all ended 1', 'operator.sessions.end-all ended 0']),
      );
      await expect(s.sessions.end(testCaller('test'), 'no-such-operator', undefined)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });

    it('purges sessions past their idle or absolute end and refused sign-ins past their retention, nothing else', async () => {
      const s = await setup(30);
      const idle = await s.operators.login('ops@example.com', 'ops-password', 'client-1');
      await expect(s.operators.login('ops@example.com', 'wrong-password', 'client-1')).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
      s.advance(31 * MINUTE);
      const fresh = await s.operators.login('ops@example.com', 'ops-password', 'client-1');

      expect(await s.sessions.purge()).toEqual({ sessions: 1, failedLogins: 0 });
      expect(await s.operators.fromSession(idle.sessionToken)).toBeNull();
      expect(await s.operators.fromSession(fresh.sessionToken)).not.toBeNull();

      s.advance(31 * 1440 * MINUTE);
      expect(await s.sessions.purge()).toEqual({ sessions: 1, failedLogins: 1 });
      const logins = await t.c.database.db.selectFrom('audit_log').select('outcome').where('action', '=', 'operator.login').execute();
      expect(logins.map((r) => r.outcome)).toEqual(['signed-in', 'signed-in']);
    });

    it('a disabled operator’s sessions end at once and the bus says so', async () => {
      const s = await setup();
      const { sessionToken } = await s.operators.login('ops@example.com', 'ops-password', 'client-1');
      await s.operators.setDisabled(testCaller('test'), s.ops.id, true);
      expect(await s.operators.fromSession(sessionToken)).toBeNull();
      expect(s.events.map((e) => e.type)).toEqual(expect.arrayContaining(['operators', 'sessions']));
    });
  });
}

describeTopology('sqlite-local', true);
describeTopology('postgres-redis', postgresAvailable && redisAvailable);
