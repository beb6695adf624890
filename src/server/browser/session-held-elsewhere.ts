import 'server-only';
import { AppError } from '../errors';

/**
 * The 409 of an action on a session whose page lives in another instance's runtime. It names the owner, so the
 * forwarding facade (session-forwarding.ts) can hand the call to that instance instead of answering it.
 */
export class SessionHeldElsewhereError extends AppError {
  constructor(
    readonly sessionId: string,
    readonly ownerInstanceId: string,
    thisInstanceId: string,
  ) {
    super('CONFLICT', `Browser session ${sessionId} is held by instance ${ownerInstanceId}; actions must reach that instance (this is ${thisInstanceId})`);
  }
}

export function isHeldElsewhere(error: unknown): error is SessionHeldElsewhereError {
  return error instanceof SessionHeldElsewhereError;
}
