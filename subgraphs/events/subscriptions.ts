/**
 * Subscription resolvers: each reads one topic of the live feed (outbox replay after `after`, then
 * live records) and maps every record to `{ cursor, <object> }`. Access is checked once, when the
 * subscription starts; loaders are cleared before every record so nested fields are read fresh
 * during subscriptions that stay open for hours.
 */
import { requireAllowed, requireAuthenticated } from '../kit/authz.js';
import { notFound } from '../kit/errors.js';
import { toObjectId } from '../kit/ids.js';
import type { LiveFeed, LiveRecord } from '../kit/live.js';
import { hasScope } from '../kit/principal.js';
import { mapIterator } from '../kit/streams.js';
import { canManageEvent, canSeeEvent, requireReadRegistrations } from './access.js';
import { fromPayload, topics } from './events.js';
import type { EventsContext, EventsLoaders } from './loaders.js';
import type { EventDoc } from './models.js';

type SubArgs = { eventId: string; after?: string | null };

function clearLoaders(loaders: EventsLoaders): void {
  for (const loader of Object.values(loaders)) loader.clearAll();
}

/** Loads the subscribed event; drafts the caller may not see are not found. */
async function visibleEvent(ctx: EventsContext, eventId: string): Promise<EventDoc> {
  const ev = await ctx.loaders.event.load(toObjectId(eventId, 'eventId').toHexString());
  if (!ev || !canSeeEvent(ctx.principal, ev)) throw notFound('Event', eventId, 'eventId');
  return ev;
}

/** Maps a topic's records of the given type prefix to `{ [field]: { cursor, type, [key]: object } }`. */
function feed(live: LiveFeed, ctx: EventsContext, topic: string, after: string | null | undefined, field: string, key: string, typePrefix: string) {
  return mapIterator(live.subscribe(topic, after), (rec: LiveRecord) => {
    if (!rec.type.startsWith(typePrefix)) return undefined;
    clearLoaders(ctx.loaders);
    return { [field]: { cursor: rec.cursor, type: rec.type, [key]: fromPayload(rec.payload) } };
  });
}

/** The Subscription resolvers of the events subgraph. */
export function subscriptionResolvers(live: LiveFeed) {
  return {
    checkInCreated: {
      subscribe: async (_: unknown, { eventId, after }: SubArgs, ctx: EventsContext) => {
        requireAuthenticated(ctx.principal);
        const ev = await visibleEvent(ctx, eventId);
        const p = ctx.principal;
        requireAllowed(p, hasScope(p, 'checkins:write') || hasScope(p, 'registrations:read') || canManageEvent(p, ev), "The 'checkins:write' or 'registrations:read' scope is required");
        return feed(live, ctx, topics.checkins(ev._id), after, 'checkInCreated', 'checkIn', 'checkin.');
      },
    },
    registrationChanged: {
      subscribe: async (_: unknown, { eventId, after }: SubArgs, ctx: EventsContext) => {
        requireAuthenticated(ctx.principal);
        const ev = await visibleEvent(ctx, eventId);
        requireReadRegistrations(ctx.principal, ev);
        return feed(live, ctx, topics.registrations(ev._id), after, 'registrationChanged', 'registration', 'registration.');
      },
    },
    eventChanged: {
      subscribe: async (_: unknown, { eventId, after }: SubArgs, ctx: EventsContext) => {
        const ev = await visibleEvent(ctx, eventId);
        return feed(live, ctx, topics.event(ev._id), after, 'eventChanged', 'event', 'event.');
      },
    },
    sessionChanged: {
      subscribe: async (_: unknown, { eventId, after }: SubArgs, ctx: EventsContext) => {
        const ev = await visibleEvent(ctx, eventId);
        return feed(live, ctx, topics.sessions(ev._id), after, 'sessionChanged', 'session', 'session.');
      },
    },
  };
}
