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
 * Field names never printed, at the top level or one level down (`{ token }`, `{ headers: { authorization } }`).
 * The process log (pino's redaction) and every run's own log ({@link redactFields}) use this one list.
 */
export const REDACTED_FIELDS = ['token', 'password', 'authorization'] as const;
export const REDACTION_CENSOR = '[redacted]';

/** `fields` with the {@link REDACTED_FIELDS} censored exactly where the process log censors them; a copy. */
export function redactFields(fields: Record<string, unknown>): Record<string, unknown> {
  const hidden = new Set<string>(REDACTED_FIELDS);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (hidden.has(key)) out[key] = REDACTION_CENSOR;
    else if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      out[key] = Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, hidden.has(k) ? REDACTION_CENSOR : v]));
    } else if (Array.isArray(value)) {
      // Items of a list are censored too: stricter than the process log, never looser.
      out[key] = value.map((item: unknown) =>
        item !== null && typeof item === 'object' && !Array.isArray(item)
          ? Object.fromEntries(Object.entries(item as Record<string, unknown>).map(([k, v]) => [k, hidden.has(k) ? REDACTION_CENSOR : v]))
          : item,
      );
    } else out[key] = value;
  }
  return out;
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
