import 'server-only';
import type { z } from 'zod';
import { AppError, errorMessage } from '../errors';
import { readCapped } from './read-capped';
import { fromZodError } from './responses';

const MAX_BODY_BYTES = 16 * 1024;

/**
 * Reads an optional JSON body and validates it. No body (or an empty one) validates `{}`. Malformed JSON,
 * bodies over 16 KiB and schema failures are INVALID_INPUT naming the problem.
 */
export async function optionalJsonBody<S extends z.ZodType>(request: Request, schema: S): Promise<z.infer<S>> {
  let text: string;
  try {
    text = await readLimited(request, MAX_BODY_BYTES);
  } catch (error) {
    throw new AppError('INVALID_INPUT', errorMessage(error));
  }
  let value: unknown = {};
  if (text.trim() !== '') {
    try {
      value = JSON.parse(text);
    } catch {
      throw new AppError('INVALID_INPUT', 'Request body is not valid JSON');
    }
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw fromZodError(parsed.error, 'request body');
  return parsed.data;
}

export function parseQuery<S extends z.ZodType>(request: Request, schema: S): z.infer<S> {
  const params = Object.fromEntries(new URL(request.url).searchParams);
  const parsed = schema.safeParse(params);
  if (!parsed.success) throw fromZodError(parsed.error, 'query');
  return parsed.data;
}

async function readLimited(request: Request, limit: number): Promise<string> {
  const bytes = await readCapped(request, limit);
  if (bytes === null) throw new Error(`Request body is larger than ${limit / 1024} KiB`);
  return new TextDecoder().decode(bytes);
}
