import 'server-only';
import { z } from 'zod';
import { SCOPES, type Scope } from '../../shared/scopes';

// The scopes live in src/shared (the console's token form lists them); server code keeps importing them here.
export { SCOPES, type Scope };

export const scopeSchema = z.enum(SCOPES);

export const tokenNameSchema = z
  .string()
  .trim()
  .min(1, 'name is required')
  .max(64, 'name must be at most 64 characters')
  .regex(/^[A-Za-z0-9][A-Za-z0-9 ._-]*$/, 'name may hold letters, digits, spaces, dots, dashes and underscores');

export const createTokenInputSchema = z.object({
  name: tokenNameSchema,
  scopes: z.array(scopeSchema).min(1, 'at least one scope is required'),
  /** Lifetime in seconds from now; absent for a token that does not expire. */
  expiresInSeconds: z
    .number()
    .int()
    .min(60, 'expiry must be at least one minute')
    .max(5 * 365 * 86_400, 'expiry must be at most five years')
    .optional(),
  /** Restricts the token to one tenant's objects (others answer 404). */
  tenantId: z.string().min(1).max(100).optional(),
});
export type CreateTokenInput = z.infer<typeof createTokenInputSchema>;

export const tokenViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  prefix: z.string(),
  scopes: z.array(z.string()),
  tenantId: z.string().nullable(),
  createdAt: z.string(),
  createdBy: z.string(),
  expiresAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
  lastUsedAt: z.string().nullable(),
});
export type TokenView = z.infer<typeof tokenViewSchema>;

export const ROLES = ['admin', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

export const emailSchema = z.string().trim().toLowerCase().pipe(z.email('must be an email address'));
export const passwordSchema = z.string().min(8, 'password must be at least 8 characters').max(200);

export const loginInputSchema = z.object({
  email: emailSchema,
  password: z.string().min(1, 'password is required').max(200),
});

export const changePasswordInputSchema = z.object({
  current: z.string().min(1, 'the current password is required').max(200),
  next: passwordSchema,
});

export const createOperatorInputSchema = z.object({
  email: emailSchema,
  password: passwordSchema,
  role: z.enum(ROLES),
});

export const operatorViewSchema = z.object({
  id: z.string(),
  email: z.string(),
  role: z.enum(ROLES),
  createdAt: z.string(),
  disabledAt: z.string().nullable(),
});
export type OperatorView = z.infer<typeof operatorViewSchema>;

/** Parses "30d", "12h", "45m", "3600s" or "3600" into seconds. */
export function parseDuration(text: string): number | null {
  const match = /^(\d+)\s*([smhdw]?)$/.exec(text.trim());
  if (!match) return null;
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 }[match[2] as '' | 's' | 'm' | 'h' | 'd' | 'w'];
  return Number(match[1]) * unit;
}
