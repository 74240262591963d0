/**
 * `npm run token -- --sub ID [--scopes "events:read checkins:write"] [--roles organizer] [--expires 1h]
 *  [--kind user|partner|internal] [--client-id ID]`
 *
 * Prints a bearer token signed with the gateway's JWT settings (JWT_SECRET, JWT_ISSUER,
 * JWT_AUDIENCE from the environment, development defaults otherwise). Without --scopes a user gets
 * the default scopes of its roles. For development and tests: production tokens come from the
 * identity provider or POST /oauth/token.
 */
import { parseArgs } from 'node:util';
import { ConfigError } from '../platform/config.js';
import { loadAuthConfig } from '../gateway/auth/config.js';
import { issueToken } from '../gateway/auth/jwt.js';
import { SCOPES, isScope, scopesForRoles } from '../gateway/shield/scopes.js';

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** Parses `90`, `90s`, `15m`, `1h`, `7d` into seconds. */
function parseDuration(text: string): number {
  const m = /^(\d+)([smhd]?)$/.exec(text.trim());
  if (!m || Number(m[1]) <= 0) throw new ConfigError(`--expires must look like 900, 15m, 1h or 7d, got '${text}'`);
  const unit = UNITS[m[2] || 's'];
  if (unit === undefined) throw new Error(`no unit '${m[2]}' (the pattern admits s, m, h, d)`);
  return Number(m[1]) * unit;
}

function list(text: string | undefined): string[] {
  return (text ?? '').split(/[\s,]+/).filter(Boolean);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      sub: { type: 'string' },
      scopes: { type: 'string' },
      roles: { type: 'string' },
      expires: { type: 'string', default: '1h' },
      kind: { type: 'string', default: 'user' },
      'client-id': { type: 'string' },
    },
    strict: true,
  });
  if (!values.sub) throw new ConfigError('--sub is required (a user id, client id or service name)');
  const kind = values.kind;
  if (kind !== 'user' && kind !== 'partner' && kind !== 'internal') throw new ConfigError(`--kind must be user, partner or internal, got '${kind}'`);
  const roles = list(values.roles);
  const scopes = values.scopes === undefined ? scopesForRoles(roles) : list(values.scopes);
  const unknown = scopes.filter((s) => !isScope(s));
  if (unknown.length > 0) throw new ConfigError(`unknown scopes: ${unknown.join(', ')} (known: ${SCOPES.join(' ')})`);
  const clientId = values['client-id'] ?? (kind === 'partner' ? values.sub : undefined);
  const { jwt } = loadAuthConfig();
  const { token } = await issueToken(jwt, { sub: values.sub, kind, scopes, roles, clientId }, parseDuration(values.expires));
  process.stdout.write(`${token}\n`);
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? `token: ${err.message}` : err);
  process.exit(1);
});
