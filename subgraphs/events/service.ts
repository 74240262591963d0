/**
 * The events subgraph's domain rules. Resolvers stay thin and call these operations; each one
 * checks its input and the caller, and writes its state change together with its domain events in
 * one transaction (transactional outbox).
 */
import type { EventsServiceOptions } from './service-base.js';
import { eventOps } from './service-events.js';
import { sessionOps } from './service-sessions.js';
import { registrationOps } from './service-registrations.js';
import { registrationChangeOps } from './service-registration-changes.js';
import { checkInOps } from './service-check-ins.js';
import { staffOps } from './service-staff.js';


/** All operations of the events subgraph. */
export function createEventsService(d: EventsServiceOptions) {
  return { ...eventOps(d), ...sessionOps(d), ...registrationOps(d), ...registrationChangeOps(d), ...checkInOps(d), ...staffOps(d) };
}

/** Every operation of the events subgraph. */
export type EventsService = ReturnType<typeof createEventsService>;
