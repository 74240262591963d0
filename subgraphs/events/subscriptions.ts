/**
 * Subscription resolvers: each reads one topic of the live feed (outbox replay after `after`, then
 * live records) and maps every record to `{ cursor, <object> }`. Access is checked when the
 * subscription starts; the check-in feed (names, ticket codes) checks it again before every record,
 * so staff removed from the event stop receiving. Loaders are cleared before every record so nested
 * fields are read fresh during subscriptions that stay open for hours.
 */
import { requireAuthenticated } from '../kit/authz.js';
import { notFound } from '../../platform/errors.js';
import { toObjectId } from '../kit/ids.js';
import type { LiveFeed, LiveRecord } from '../kit/live.js';
import { mapIterator } from '../kit/streams.js';
import { canSeeEvent, canWatchCheckIns, requireReadRegistrations, requireWatchCheckIns } from './access.js';
import { fromPayload, topics } from './events.js';
import type { EventsContext, EventsLoaders } from './loaders.js';
import type { EventDoc } from './models.js';

type SubArgs = { eventId: string; after?: string | null };

function clearLoaders(loaders: EventsLoaders): void {
  for (const key of Object.keys(loaders) as Array<keyof EventsLoaders>) loaders[key].clearAll();
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

/**
 * Ends a stream once `allowed` answers false before a record is delivered (e.g. check-in staff
 * removed from the event while watching): that record and every later one are withheld and the
 * subscription completes.
 */
function stillAllowed<T>(source: AsyncIterableIterator<T>, allowed: () => Promise<boolean>): AsyncIterableIterator<T> {
  return mapIterator(source, async (item) => {
    if (await allowed()) return item;
    await source.return?.();
    return undefined;
  });
}

/** The Subscription resolvers of the events subgraph. */
export function subscriptionResolvers(live: LiveFeed) {
  return {
    checkInCreated: {
      subscribe: async (_: unknown, { eventId, after }: SubArgs, ctx: EventsContext) => {
        requireAuthenticated(ctx.principal);
        const ev = await visibleEvent(ctx, eventId);
        requireWatchCheckIns(ctx.principal, ev);
        return stillAllowed(feed(live, ctx, topics.checkins(ev._id), after, 'checkInCreated', 'checkIn', 'checkin.'), async () => {
          const current = await ctx.loaders.event.load(String(ev._id));
          return !!current && canWatchCheckIns(ctx.principal, current);
        });
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
