/**
 * Domain events the events subgraph publishes through its outbox, and the way back from a
 * delivered payload to an object the GraphQL field resolvers understand.
 *
 * Topics: `event:<eventId>` (event.created/updated/published/cancelled), `sessions:<eventId>`
 * (session.created/updated/cancelled), `registrations:<eventId>` (registration.invited/created/
 * confirmed/promoted/cancelled), `checkins:<eventId>` (checkin.completed). Payloads are plain JSON: ids as hex
 * strings, dates as ISO strings.
 */
import { Types } from 'mongoose';
import type { DomainEvent } from '../kit/outbox.js';
import type { CheckInDoc, EventDoc, RegistrationDoc, SessionDoc } from './models.js';

/** Domain event types of an event's own changes. */
export type EventEventType = 'event.created' | 'event.updated' | 'event.published' | 'event.cancelled';
/** Domain event types of a session's changes. */
export type SessionEventType = 'session.created' | 'session.updated' | 'session.cancelled';
/**
 * `registration.invited`: an organizer registered someone, who has not answered yet (the registration
 * holds no spot); `registration.created`: a registration was made by its attendee (or an admin), or
 * an invitation was accepted; a declined or withdrawn invitation is `registration.cancelled`.
 */
export type RegistrationEventType = 'registration.invited' | 'registration.created' | 'registration.confirmed' | 'registration.promoted' | 'registration.cancelled';

/** Topic names by kind. */
export const topics = {
  event: (eventId: unknown) => `event:${String(eventId)}`,
  sessions: (eventId: unknown) => `sessions:${String(eventId)}`,
  registrations: (eventId: unknown) => `registrations:${String(eventId)}`,
  checkins: (eventId: unknown) => `checkins:${String(eventId)}`,
};

/** Plain JSON of a document: `_id` becomes `id`, ObjectIds hex strings, dates ISO strings. */
function toPlain(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Types.ObjectId) return value.toHexString();
  if (Array.isArray(value)) return value.map(toPlain);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (v === undefined) continue;
      out[k === '_id' ? 'id' : k] = toPlain(v);
    }
    return out;
  }
  return value;
}

function omit(doc: object, keys: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = { ...doc };
  for (const k of keys) delete out[k];
  return out;
}

/** An event's own change. */
export function eventEvent(type: EventEventType, ev: EventDoc): DomainEvent {
  return { topic: topics.event(ev._id), type, payload: toPlain(omit(ev, ['registrationSeq', 'checkInStaffIds'])) as Record<string, unknown> };
}

/** A session's change, on its event's session topic. */
export function sessionEvent(type: SessionEventType, s: SessionDoc): DomainEvent {
  return { topic: topics.sessions(s.eventId), type, payload: toPlain(s) as Record<string, unknown> };
}

/** A registration's change. The ticket code is a credential and stays out of the log. */
export function registrationEvent(type: RegistrationEventType, reg: RegistrationDoc): DomainEvent {
  return { topic: topics.registrations(reg.eventId), type, payload: toPlain(omit(reg, ['ticketCode', 'activeKey', 'queueSeq'])) as Record<string, unknown> };
}

/** A completed check-in: id, registrationId, eventId, attendeeId, checkedInAt, method. */
export function checkInEvent(ci: CheckInDoc): DomainEvent {
  return {
    topic: topics.checkins(ci.eventId),
    type: 'checkin.completed',
    payload: {
      id: ci._id.toHexString(),
      registrationId: String(ci.registrationId),
      eventId: String(ci.eventId),
      attendeeId: String(ci.attendeeId),
      checkedInAt: ci.checkedInAt.toISOString(),
      method: ci.method,
    },
  };
}

/**
 * Turns a delivered payload back into a document-shaped object for the field resolvers: `id`
 * becomes `_id`; dates stay ISO strings (the DateTime scalar serialises both).
 */
export function fromPayload<T>(payload: Record<string, unknown>): T {
  const { id, ...rest } = payload;
  return { ...rest, _id: String(id) } as T;
}
