/**
 * Input shapes of the events mutations and their checks. Every problem is BAD_USER_INPUT with the
 * input path as `target` (e.g. `input.endsAt`); values come out trimmed and typed for the models.
 */
import type { Types } from 'mongoose';
import { badInput } from '../../platform/errors.js';
import { toObjectId } from '../kit/ids.js';
import { checkHttpUrl, checkInt, checkRange, checkText, checkTimeZone, optionalText } from '../kit/validation.js';
import { DESCRIPTION_MAX, REASON_MAX, TITLE_MAX, type VenueDoc } from './models.js';

const MAX_CAPACITY = 1_000_000;
/** Most speakers one session can have. */
export const MAX_SPEAKERS = 50;
const MAX_BATCH = 100;

/** A venue as given in event input: every part optional. */
export interface VenueInput {
  name?: string | null;
  address?: string | null;
  city?: string | null;
  country?: string | null;
  onlineUrl?: string | null;
}

/** `CreateEventInput` as the resolvers receive it (DateTime already parsed). */
export interface CreateEventInput {
  title: string;
  description?: string | null;
  startsAt: Date;
  endsAt: Date;
  timezone?: string | null;
  capacity?: number | null;
  venue?: VenueInput | null;
  organizationId?: string | null;
  parentId?: string | null;
  organizerId?: string | null;
}

/** `UpdateEventInput`: the event's own fields, each optional; a series and the organizer never change. */
export type UpdateEventInput = Partial<Omit<CreateEventInput, 'parentId' | 'organizerId'>>;

/** `CreateSessionInput` as the resolvers receive it (DateTime already parsed). */
export interface CreateSessionInput {
  eventId: string;
  title: string;
  description?: string | null;
  startsAt: Date;
  endsAt: Date;
  room?: string | null;
  speakerIds?: string[] | null;
}

/** `UpdateSessionInput`: the session's own fields, each optional; its event and speakers change elsewhere. */
export type UpdateSessionInput = Partial<Omit<CreateSessionInput, 'eventId' | 'speakerIds'>>;

/** Checks a required DateTime that may have been sent as an explicit null. */
function requiredDate(value: Date | null | undefined, target: string): Date {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) throw badInput(target, 'must be a date-time');
  return value;
}

/** Checks a title: 1..200 characters after trimming. */
function checkTitle(value: string | null | undefined, target: string): string {
  if (typeof value !== 'string') throw badInput(target, 'must not be null');
  return checkText(value, target, { min: 1, max: TITLE_MAX });
}

/** Checks a cancellation reason: 1..500 characters. */
export function checkReason(value: unknown, target = 'reason'): string {
  if (typeof value !== 'string') throw badInput(target, 'must be a string');
  return checkText(value, target, { min: 1, max: REASON_MAX });
}

/** Checks an optional reason: up to 500 characters, empty becomes null. */
export function optionalReason(value: string | null | undefined, target = 'reason'): string | null {
  return optionalText(value, target, REASON_MAX) ?? null;
}

/** Checks a capacity: null (unlimited) or a whole number 0..1,000,000. */
function checkCapacity(value: number | null | undefined, target: string): number | null {
  if (value === null || value === undefined) return null;
  return checkInt(value, target, { min: 0, max: MAX_CAPACITY });
}

/** Checks a venue; an online URL must be http(s). */
function checkVenue(v: VenueInput | null | undefined, target: string): VenueDoc | null {
  if (!v) return null;
  const out: VenueDoc = {
    name: optionalText(v.name, `${target}.name`, 200) ?? null,
    address: optionalText(v.address, `${target}.address`, 300) ?? null,
    city: optionalText(v.city, `${target}.city`, 100) ?? null,
    country: optionalText(v.country, `${target}.country`, 100) ?? null,
    onlineUrl: v.onlineUrl ? checkHttpUrl(v.onlineUrl.trim(), `${target}.onlineUrl`) : null,
  };
  return Object.values(out).some((x) => x !== null) ? out : null;
}

/** Parses a list of ids, each targeted at its index; duplicates are dropped. */
export function checkIdList(ids: readonly unknown[], target: string, max: number): Types.ObjectId[] {
  if (ids.length > max) throw badInput(target, `at most ${max} items are allowed`);
  const seen = new Map<string, Types.ObjectId>();
  ids.forEach((id, i) => {
    const oid = toObjectId(id, `${target}.${i}`);
    seen.set(oid.toHexString(), oid);
  });
  return [...seen.values()];
}

/** Checks the size of a batch: 1..100 items. */
export function checkBatch(items: readonly unknown[], target: string): void {
  if (items.length === 0) throw badInput(target, 'must contain at least one item');
  if (items.length > MAX_BATCH) throw badInput(target, `at most ${MAX_BATCH} items are allowed`);
}

/** Validated fields of a new event (without organizer and parent, which need lookups). */
export function checkCreateEvent(input: CreateEventInput) {
  const startsAt = requiredDate(input.startsAt, 'input.startsAt');
  const endsAt = requiredDate(input.endsAt, 'input.endsAt');
  checkRange(startsAt, endsAt, 'input.endsAt');
  return {
    title: checkTitle(input.title, 'input.title'),
    description: optionalText(input.description, 'input.description', DESCRIPTION_MAX) ?? null,
    startsAt,
    endsAt,
    timezone: input.timezone ? checkTimeZone(input.timezone, 'input.timezone') : 'UTC',
    capacity: checkCapacity(input.capacity, 'input.capacity'),
    venue: checkVenue(input.venue, 'input.venue'),
    organizationId: input.organizationId ? toObjectId(input.organizationId, 'input.organizationId') : null,
  };
}

/** Validated `$set` of an event update; the date range is checked against the current values. */
export function checkUpdateEvent(input: UpdateEventInput, current: { startsAt: Date; endsAt: Date }): Record<string, unknown> {
  const set: Record<string, unknown> = {};
  if (input.title !== undefined) set.title = checkTitle(input.title, 'input.title');
  if (input.description !== undefined) set.description = optionalText(input.description, 'input.description', DESCRIPTION_MAX) ?? null;
  if (input.startsAt !== undefined) set.startsAt = requiredDate(input.startsAt, 'input.startsAt');
  if (input.endsAt !== undefined) set.endsAt = requiredDate(input.endsAt, 'input.endsAt');
  if (set.startsAt || set.endsAt) checkRange((set.startsAt as Date) ?? current.startsAt, (set.endsAt as Date) ?? current.endsAt, set.endsAt ? 'input.endsAt' : 'input.startsAt');
  if (input.timezone !== undefined) set.timezone = input.timezone === null ? 'UTC' : checkTimeZone(input.timezone, 'input.timezone');
  if (input.capacity !== undefined) set.capacity = checkCapacity(input.capacity, 'input.capacity');
  if (input.venue !== undefined) set.venue = checkVenue(input.venue, 'input.venue');
  if (input.organizationId !== undefined) set.organizationId = input.organizationId ? toObjectId(input.organizationId, 'input.organizationId') : null;
  return set;
}

/** Checks that a session lies within its event's time. */
export function checkWithinEvent(startsAt: Date, endsAt: Date, ev: { startsAt: Date; endsAt: Date }, prefix = 'input'): void {
  checkRange(startsAt, endsAt, `${prefix}.endsAt`);
  if (startsAt.getTime() < ev.startsAt.getTime()) throw badInput(`${prefix}.startsAt`, 'the session must start within its event');
  if (endsAt.getTime() > ev.endsAt.getTime()) throw badInput(`${prefix}.endsAt`, 'the session must end within its event');
}

/** Validated fields of a new session (the time window is checked against the event separately). */
export function checkCreateSession(input: CreateSessionInput) {
  return {
    title: checkTitle(input.title, 'input.title'),
    description: optionalText(input.description, 'input.description', DESCRIPTION_MAX) ?? null,
    startsAt: requiredDate(input.startsAt, 'input.startsAt'),
    endsAt: requiredDate(input.endsAt, 'input.endsAt'),
    room: optionalText(input.room, 'input.room', 100) ?? null,
    speakerIds: checkIdList(input.speakerIds ?? [], 'input.speakerIds', MAX_SPEAKERS),
  };
}

/** Validated `$set` of a session update. */
export function checkUpdateSession(input: UpdateSessionInput): Record<string, unknown> {
  const set: Record<string, unknown> = {};
  if (input.title !== undefined) set.title = checkTitle(input.title, 'input.title');
  if (input.description !== undefined) set.description = optionalText(input.description, 'input.description', DESCRIPTION_MAX) ?? null;
  if (input.startsAt !== undefined) set.startsAt = requiredDate(input.startsAt, 'input.startsAt');
  if (input.endsAt !== undefined) set.endsAt = requiredDate(input.endsAt, 'input.endsAt');
  if (input.room !== undefined) set.room = optionalText(input.room, 'input.room', 100) ?? null;
  return set;
}
