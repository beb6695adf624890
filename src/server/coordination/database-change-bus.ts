import 'server-only';
import { sql } from 'kysely';
import { errorMessage } from '../errors';
import type { DatabaseHandle } from '../db/client';
import { type ChangeEvent, type Envelope, LocalChangeBus, processSender } from './change-bus';

export interface DatabaseFeedOptions {
  /** How often the feed is read. */
  pollMs: number;
  /** Rows older than this are deleted (a process that was away longer has dropped its caches anyway). */
  retentionMs: number;
  onError: (message: string) => void;
  now?: () => number;
}

export const DEFAULT_FEED_OPTIONS = { pollMs: 150, retentionMs: 5 * 60_000 } as const;

/** Rows read per poll; a fuller backlog is read on the following polls without waiting for a new write. */
const READ_BATCH = 500;
/** Rows deleted per statement when pruning, so the write lock is held only briefly. */
const PRUNE_BATCH = 500;
const PRUNE_EVERY_MS = 30_000;
/**
 * PostgreSQL hands out ids before commit, so a row with a lower id can become visible after a higher one. Missing
 * ids below the cursor are looked for again this long before they count as rolled back.
 */
const GAP_WAIT_MS = 2_000;
const MAX_TRACKED_GAPS = 200;

/**
 * The change bus of processes that share a database but no Redis: the console and its CLI, or two consoles on one
 * DATA_DIR. Local subscribers get an event at once, as with {@link LocalChangeBus}; every event is also appended to
 * the `changes` table, and each process reads the rows newer than the last one it saw every {@link
 * DatabaseFeedOptions.pollMs} and delivers those of other processes. On SQLite the read is skipped while `PRAGMA
 * data_version` says no other connection committed anything, so an idle feed costs one pragma per poll.
 *
 * Same guarantees as the other carriers: best effort, at most once per process (a process that was not following
 * when a row was written does not replay it), never the data itself.
 */
export class DatabaseChangeBus extends LocalChangeBus {
  override readonly kind = 'database' as const;
  private readonly sender: string;
  private readonly now: () => number;
  /** Highest id seen; null until the first poll placed it at the end of the feed. */
  private cursor: number | null = null;
  private readonly gaps = new Map<number, number>();
  private dataVersion: number | null = null;
  private inFlight: Promise<void> | null = null;
  private closed = false;
  private lastPrune = 0;
  private lastError = '';
  private readonly timer: NodeJS.Timeout;

  constructor(
    origin: string,
    private readonly database: DatabaseHandle,
    private readonly options: DatabaseFeedOptions,
  ) {
    super(origin);
    this.sender = processSender(origin);
    this.now = options.now ?? Date.now;
    this.timer = setInterval(() => void this.poll(), options.pollMs);
    this.timer.unref();
    void this.poll();
  }

  override async publish(event: ChangeEvent): Promise<void> {
    const envelope: Envelope = { ...event, origin: this.origin, at: this.now() };
    this.deliver(envelope);
    if (this.closed) return;
    try {
      await this.database.db
        .insertInto('changes')
        .values({ at: envelope.at, origin: this.sender, event: JSON.stringify(envelope) })
        .execute();
    } catch (error) {
      this.report(`change not written to the feed: ${errorMessage(error)}`);
    }
  }

  override async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    // A poll in flight finishes before the caller closes the database.
    await this.inFlight;
    await super.close();
  }

  /**
   * Reads and delivers what other processes wrote since the last poll; while a poll is in flight, that poll.
   * Resolves when done; never rejects.
   */
  poll(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.inFlight ??= this.pollOnce().finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  private async pollOnce(): Promise<void> {
    try {
      await this.read();
      const now = this.now();
      if (now - this.lastPrune > PRUNE_EVERY_MS) {
        this.lastPrune = now;
        await this.prune(now - this.options.retentionMs);
      }
      this.lastError = '';
    } catch (error) {
      if (!this.closed) this.report(`change feed not read: ${errorMessage(error)}`);
    }
  }

  private async read(): Promise<void> {
    const db = this.database.db;
    if (this.database.dialect === 'sqlite') {
      const result = await sql<{ data_version: number }>`PRAGMA data_version`.execute(db);
      const version = Number(result.rows[0]?.data_version);
      const unchanged = version === this.dataVersion;
      this.dataVersion = version;
      if (unchanged && this.cursor !== null && this.gaps.size === 0) return;
    }
    if (this.cursor === null) {
      const last = await db
        .selectFrom('changes')
        .select((eb) => eb.fn.max('id').as('id'))
        .executeTakeFirst();
      this.cursor = Number(last?.id ?? 0);
      return;
    }
    const cursor = this.cursor;
    const gapIds = [...this.gaps.keys()];
    const rows = await db
      .selectFrom('changes')
      .select(['id', 'origin', 'event'])
      .where((eb) => (gapIds.length > 0 ? eb.or([eb('id', '>', cursor), eb('id', 'in', gapIds)]) : eb('id', '>', cursor)))
      .orderBy('id')
      .limit(READ_BATCH)
      .execute();
    const now = this.now();
    for (const row of rows) {
      const id = Number(row.id);
      this.gaps.delete(id);
      if (id > (this.cursor ?? 0)) {
        const from = (this.cursor ?? 0) + 1;
        if (id - from <= MAX_TRACKED_GAPS) for (let missing = from; missing < id; missing++) this.gaps.set(missing, now);
        this.cursor = id;
      }
      if (row.origin === this.sender) continue;
      const envelope = parseEnvelope(row.event);
      if (envelope) this.deliver(envelope);
    }
    for (const [id, since] of this.gaps) if (now - since > GAP_WAIT_MS || this.gaps.size > MAX_TRACKED_GAPS) this.gaps.delete(id);
    // A full batch leaves more to read: read again on the next poll even if no one writes meanwhile.
    if (rows.length === READ_BATCH) this.dataVersion = null;
  }

  private async prune(before: number): Promise<void> {
    const db = this.database.db;
    for (let batch = 0; batch < 10; batch++) {
      const result = await db
        .deleteFrom('changes')
        .where('id', 'in', db.selectFrom('changes').select('id').where('at', '<', before).orderBy('id').limit(PRUNE_BATCH))
        .executeTakeFirst();
      if (Number(result.numDeletedRows) < PRUNE_BATCH) return;
    }
  }

  /** Reports a problem once until it changes, so a database outage does not log every 150 ms. */
  private report(message: string): void {
    if (message === this.lastError) return;
    this.lastError = message;
    this.options.onError(message);
  }
}

function parseEnvelope(text: string): Envelope | null {
  try {
    const value = JSON.parse(text) as unknown;
    if (typeof value !== 'object' || value === null) return null;
    const candidate = value as { type?: unknown; origin?: unknown; at?: unknown };
    if (typeof candidate.type !== 'string' || typeof candidate.origin !== 'string' || typeof candidate.at !== 'number') return null;
    return value as Envelope;
  } catch {
    return null;
  }
}
