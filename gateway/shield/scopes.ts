/**
 * The scope vocabulary of the public API. Scopes are declared on fields in subgraph SDL with
 * `@requiresScopes`; tokens and API clients carry them. `admin` implies every scope.
 */
/** Every scope a token or API client may carry. */
export const SCOPES = [
  'events:read',
  'events:write',
  'registrations:read',
  'registrations:write',
  'checkins:write',
  'payments:read',
  'payments:write',
  'payments:refund',
  'people:read',
  'people:write',
  'integrations:read',
  'integrations:write',
  'schema:read',
  'admin',
] as const;

/** One scope of `SCOPES`. */
export type Scope = (typeof SCOPES)[number];

/** True for a name in the vocabulary. */
export function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value);
}

/**
 * Scopes a user token gets by default for a role, when the issuer does not list them explicitly
 * (used by the development token script).
 */
export const ROLE_SCOPES: Record<string, readonly Scope[]> = {
  // Scopes are grants over everyone's data (`payments:write` changes any payment); what is the
  // user's own (their registrations, payments, profile, the events they organize) the subgraphs
  // allow by object rules, without a scope. `registrations:write` and `checkins:write` are the
  // exception: held by a user they reach only the events the user organizes (and, for check-ins,
  // the events the user is check-in staff of), so they are safe defaults for these roles.
  attendee: ['events:read'],
  speaker: ['events:read'],
  organizer: ['events:read', 'events:write', 'registrations:write', 'checkins:write', 'integrations:read', 'integrations:write'],
  // Check-in staff: check attendees in and watch check-ins at the events an organizer assigned them
  // to (`assignCheckInStaff`), nothing else.
  staff: ['events:read', 'checkins:write'],
  admin: ['admin'],
};

/** Default scopes for a set of roles (the union). */
export function scopesForRoles(roles: readonly string[]): Scope[] {
  const out = new Set<Scope>();
  for (const role of roles) for (const s of ROLE_SCOPES[role] ?? []) out.add(s);
  return [...out];
}
