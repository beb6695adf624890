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

export function createLogger(level: string, bindings: Record<string, unknown>): Logger {
  return pino({
    level,
    base: bindings,
    timestamp: pino.stdTimeFunctions.isoTime,
    // Defence in depth: fields that could hold secrets are never printed even if passed by mistake.
    redact: { paths: ['token', 'password', 'authorization', '*.token', '*.password', '*.authorization'], censor: '[redacted]' },
  });
}
