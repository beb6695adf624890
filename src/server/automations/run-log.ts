import 'server-only';
import type { RunLogLimits } from '../config/automations.config';
import type { AutomationRunLogTable, RunLogLevel } from '../db/schema';
import { errorMessage } from '../errors';
import { type Logger, redactFields } from '../logger';
import type { RunLogRepository, RunProgress } from './run-log.repository';

/** Lines buffered before a flush is started without waiting for the interval. */
const FLUSH_AT_LINES = 100;
/** One line's message is cut to this many characters, its fields (as JSON) to this many bytes. */
const MAX_MESSAGE_CHARS = 1_000;
const MAX_FIELDS_BYTES = 4_096;
/** Bytes kept free for the truncation marker, so the stored log stays within RUN_LOG_MAX_BYTES with it. */
const MARKER_RESERVE_BYTES = 256;
const LEVELS: ReadonlySet<string> = new Set<RunLogLevel>(['debug', 'info', 'warn', 'error']);

/**
 * One run's own log and progress, as its run function reports them through `RunContext.log` / `progress`.
 *
 * Cheap to call in a hot loop: a line is redacted, bounded and buffered in memory, never written on the spot.
 * The buffer and the progress are written in one transaction (a multi-row INSERT and one UPDATE of the run row)
 * at a progress report when the last write is `flushMs` old, by a timer every `flushMs` while there is something
 * new, as soon as 100 lines wait, and at the end ({@link close}). A crash loses only what was not yet written.
 * Writes are serial; a failed write keeps its lines for the next one.
 *
 * Bounded per run by `maxLines` and `maxBytes`: the line that would pass either is replaced by one `warn` marker
 * saying so, and later lines are only counted (`log_dropped` on the run row).
 */
export class RunLog {
  private buffer: AutomationRunLogTable[] = [];
  private seq = 0;
  private bytes = 0;
  private dropped = 0;
  private truncated = false;
  private closed = false;
  private latest: RunProgress | null = null;
  private dirty = false;
  private lastFlush: number;
  private writing: Promise<void> = Promise.resolve();
  /** A write is queued that has not started yet: later requests join it (it takes everything buffered when it starts). */
  private queued = false;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly deps: {
      runId: string;
      store: Pick<RunLogRepository, 'append'>;
      limits: RunLogLimits;
      /** The run's process logger: every line is mirrored to it at debug level (pino redacts it there). */
      logger: Logger;
      now: () => number;
    },
  ) {
    this.lastFlush = deps.now();
    this.timer = setInterval(() => {
      if (this.dirty && this.deps.now() - this.lastFlush >= this.deps.limits.flushMs) void this.flush();
    }, deps.limits.flushMs);
    this.timer.unref();
  }

  log(level: RunLogLevel, message: string, fields?: Record<string, unknown>): void {
    if (this.closed) return;
    const safeLevel: RunLogLevel = LEVELS.has(level) ? level : 'info';
    this.deps.logger.debug({ ...(fields ?? {}), runLogLevel: safeLevel }, message);
    if (this.truncated) {
      this.dropped++;
      this.dirty = true;
      return;
    }
    const text = String(message).length > MAX_MESSAGE_CHARS ? `${String(message).slice(0, MAX_MESSAGE_CHARS - 1)}…` : String(message);
    const json = fields && Object.keys(fields).length > 0 ? boundedJson(redactFields(fields)) : null;
    const tenantId = typeof fields?.tenantId === 'string' ? fields.tenantId : null;
    const size = Buffer.byteLength(text) + (json === null ? 0 : Buffer.byteLength(json));
    const { maxLines, maxBytes } = this.deps.limits;
    if (this.seq + 1 >= maxLines || this.bytes + size > maxBytes - MARKER_RESERVE_BYTES) {
      this.truncated = true;
      this.dropped++;
      const why = this.seq + 1 >= maxLines ? `${maxLines} lines (RUN_LOG_MAX_LINES)` : `${maxBytes} bytes (RUN_LOG_MAX_BYTES)`;
      this.push('warn', `Log truncated: this run reached its limit of ${why}; later lines are not stored, only counted`, null, null);
      this.deps.logger.warn({ limit: why }, 'run log truncated');
      return;
    }
    this.push(safeLevel, text, json, tenantId);
    this.bytes += size;
    if (this.buffer.length >= FLUSH_AT_LINES) void this.flush();
  }

  progress(done: number, total: number, unit: string): void {
    if (this.closed) return;
    const whole = (n: number) => (Number.isFinite(n) && n > 0 ? Math.floor(n) : 0);
    const t = whole(total);
    this.latest = { done: Math.min(whole(done), t), total: t, unit: String(unit).slice(0, 40), at: this.deps.now() };
    this.dirty = true;
    if (this.deps.now() - this.lastFlush >= this.deps.limits.flushMs) void this.flush();
  }

  /** Writes what is buffered (after any write in progress). Never rejects: a failure is logged and retried later. */
  flush(): Promise<void> {
    if (this.queued) return this.writing;
    this.queued = true;
    this.writing = this.writing.then(() => {
      this.queued = false;
      return this.write();
    });
    return this.writing;
  }

  /** The end of the run: stops the timer, writes what is left; later calls of log/progress are ignored. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.flush();
  }

  private push(level: RunLogLevel, message: string, fields: string | null, tenantId: string | null): void {
    this.seq++;
    this.buffer.push({ run_id: this.deps.runId, seq: this.seq, at: this.deps.now(), level, message, fields, tenant_id: tenantId });
    this.dirty = true;
  }

  private async write(): Promise<void> {
    if (!this.dirty) return;
    const lines = this.buffer;
    this.buffer = [];
    this.dirty = false;
    this.lastFlush = this.deps.now();
    try {
      await this.deps.store.append(this.deps.runId, lines, { progress: this.latest, lines: this.seq, dropped: this.dropped });
    } catch (error) {
      this.buffer = [...lines, ...this.buffer];
      this.dirty = true;
      this.deps.logger.warn({ error: errorMessage(error), lines: lines.length }, 'run log write failed; retried with the next write');
    }
  }
}

/** JSON of the (redacted) fields, or a note in their place when they cannot be serialised or are too large. */
function boundedJson(fields: Record<string, unknown>): string {
  let json: string;
  try {
    json = JSON.stringify(fields, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  } catch {
    return JSON.stringify({ fieldsOmitted: 'not serialisable' });
  }
  return Buffer.byteLength(json) > MAX_FIELDS_BYTES ? JSON.stringify({ fieldsOmitted: `larger than ${MAX_FIELDS_BYTES} bytes` }) : json;
}
