/** Speaker profile and preference updates (validated into `$set` documents), and the GDPR export shape. */
import { badInput } from '../../platform/errors.js';
import { optionalString, requireHttpUrl, requireString } from '../kit/input.js';
import { isoOrNull } from '../kit/scalars.js';
import { checkTimeZone } from '../kit/validation.js';
import type { ApiClientDoc, OrganizationDoc, UserDoc } from './models.js';

const MAX_LINKS = 10;

/** The `$set` for a speaker profile update; absent fields keep their value, null clears them. */
export function profileUpdate(user: UserDoc, input: Record<string, unknown>): Record<string, unknown> {
  const current = user.speakerProfile ?? { bio: null, company: null, title: null, links: [] };
  const pick = (key: 'bio' | 'company' | 'title', max: number): string | null => {
    if (input[key] === undefined) return current[key] ?? null;
    return optionalString(input[key], `input.${key}`, { min: 0, max }) || null;
  };
  let links = current.links;
  if (input.links !== undefined && input.links !== null) {
    if (!Array.isArray(input.links)) throw badInput('input.links', 'must be a list');
    if (input.links.length > MAX_LINKS) throw badInput('input.links', `at most ${MAX_LINKS} links`);
    links = input.links.map((l: unknown, i) => {
      const link = (l ?? {}) as Record<string, unknown>;
      return { label: requireString(link.label, `input.links.${i}.label`, { max: 100 }), url: requireHttpUrl(link.url, `input.links.${i}.url`) };
    });
  }
  return { speakerProfile: { bio: pick('bio', 5000), company: pick('company', 200), title: pick('title', 200), links } };
}

const LANGUAGE_RE = /^[a-zA-Z]{2,3}(-[A-Za-z0-9]{2,8})*$/;

/** The `$set` (dotted paths) for a preferences update. */
export function preferencesUpdate(input: Record<string, unknown>): Record<string, unknown> {
  const set: Record<string, unknown> = {};
  if (input.language !== undefined && input.language !== null) {
    const language = requireString(input.language, 'input.language', { max: 35 });
    if (!LANGUAGE_RE.test(language)) throw badInput('input.language', 'must be a BCP 47 language tag such as en or de-AT');
    set['preferences.language'] = language;
  }
  if (input.timezone !== undefined && input.timezone !== null) {
    set['preferences.timezone'] = checkTimeZone(requireString(input.timezone, 'input.timezone', { max: 64 }), 'input.timezone');
  }
  const notifications = input.notifications as Record<string, unknown> | null | undefined;
  if (notifications) {
    for (const channel of ['email', 'sms', 'push'] as const) {
      const v = notifications[channel];
      if (v === undefined || v === null) continue;
      if (typeof v !== 'boolean') throw badInput(`input.notifications.${channel}`, 'must be a boolean');
      set[`preferences.notifications.${channel}`] = v;
    }
  }
  return set;
}

/** Everything the people service holds about a user, as plain JSON (GDPR access / portability). */
export function toExport(user: UserDoc, organization: OrganizationDoc | null, clients: ApiClientDoc[]): Record<string, unknown> {
  return {
    exportedAt: new Date().toISOString(),
    service: 'people',
    user: {
      id: user._id.toHexString(),
      name: user.name,
      email: user.email,
      roles: user.roles,
      organization: organization ? { id: organization._id.toHexString(), name: organization.name, slug: organization.slug } : null,
      speakerProfile: user.speakerProfile ? { bio: user.speakerProfile.bio ?? null, company: user.speakerProfile.company ?? null, title: user.speakerProfile.title ?? null, links: user.speakerProfile.links.map((l) => ({ label: l.label, url: l.url })) } : null,
      preferences: user.preferences,
      consents: user.consents.map((c) => ({ purpose: c.purpose, granted: c.granted, grantedAt: isoOrNull(c.grantedAt), revokedAt: isoOrNull(c.revokedAt), updatedAt: isoOrNull(c.updatedAt) })),
      erasedAt: isoOrNull(user.erasedAt),
      createdAt: isoOrNull(user.createdAt),
      updatedAt: isoOrNull(user.updatedAt),
    },
    apiClients: clients.map((c) => ({ id: c._id.toHexString(), name: c.name, clientId: c.clientId, scopes: c.scopes, createdAt: isoOrNull(c.createdAt), revokedAt: isoOrNull(c.revokedAt) })),
  };
}
