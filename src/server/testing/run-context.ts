import { randomUUID } from 'node:crypto';
import type { RunContext, RunLogLevel } from '../automations/definition';

/** A run context for calling a port directly, that keeps what the run logged and reported (no database). */
export interface RecordingRunContext extends RunContext {
  lines: Array<{ level: RunLogLevel; message: string; fields: Record<string, unknown> | undefined }>;
  reports: Array<{ done: number; total: number; unit: string }>;
}

export function recordingRunContext(options: { now?: () => number; signal?: AbortSignal; instanceId?: string } = {}): RecordingRunContext {
  const lines: RecordingRunContext['lines'] = [];
  const reports: RecordingRunContext['reports'] = [];
  return {
    runId: randomUUID(),
    trigger: 'api',
    instanceId: options.instanceId ?? 'test',
    lockProvider: 'local',
    signal: options.signal ?? new AbortController().signal,
    now: options.now ?? Date.now,
    lines,
    reports,
    log: (level, message, fields) => void lines.push({ level, message, fields }),
    progress: (done, total, unit) => void reports.push({ done, total, unit }),
  };
}
