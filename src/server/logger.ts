import 'server-only';
import pino from 'pino';

/** Structured logging: JSON lines with bindings (instance id, automation key, run id). Never pass secrets. */
export interface Logger {
  debug(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

/**
 * Field names never printed. The process log (pino's redaction) censors them at the top level and one level down
 * (`{ token }`, `{ headers: { authorization } }`), as pino's paths are exact; every run's own log
 * ({@link redactFields}) censors them at any depth, in lists too, whatever their case: stricter, never looser.
 */
export const REDACTED_FIELDS = ['token', 'password', 'authorization', 'apiKey', 'secret', 'cookie'] as const;
export const REDACTION_CENSOR = '[redacted]';
const HIDDEN = new Set<string>(REDACTED_FIELDS.map((f) => f.toLowerCase()));
/** How deep {@link redactFields} looks; deeper values are replaced by the censor rather than copied unread. */
const MAX_REDACTION_DEPTH = 6;

/** `fields` with every field named in {@link REDACTED_FIELDS} (any case, any depth) censored; a copy. */
export function redactFields(fields: Record<string, unknown>): Record<string, unknown> {
  return redactObject(fields, 0);
}

function redactObject(value: Record<string, unknown>, depth: number): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, HIDDEN.has(k.toLowerCase()) ? REDACTION_CENSOR : redactValue(v, depth + 1)]));
}

function redactValue(value: unknown, depth: number): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (depth > MAX_REDACTION_DEPTH) return REDACTION_CENSOR;
  if (Array.isArray(value)) return value.map((item) => redactValue(item, depth + 1));
  return redactObject(value as Record<string, unknown>, depth);
}

export function createLogger(level: string, bindings: Record<string, unknown>): Logger {
  return pino({
    level,
    base: bindings,
    timestamp: pino.stdTimeFunctions.isoTime,
    // Defence in depth: fields that could hold secrets are never printed even if passed by mistake.
    redact: { paths: [...REDACTED_FIELDS, ...REDACTED_FIELDS.map((f) => `*.${f}`)], censor: REDACTION_CENSOR },
  });
}
