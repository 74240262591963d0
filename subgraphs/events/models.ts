/** Events data on the subgraph's own connection: events, sessions, registrations, check-ins. */
import { Schema, type Connection, type Model, type Types } from 'mongoose';
import { modelOn } from '../kit/subgraph.js';

const EVENT_STATUSES = ['DRAFT', 'PUBLISHED', 'CANCELLED'] as const;
/** An event's lifecycle: DRAFT → PUBLISHED → CANCELLED. */
export type EventStatus = (typeof EVENT_STATUSES)[number];
const REGISTRATION_STATUSES = ['PENDING', 'CONFIRMED', 'CANCELLED'] as const;
/** A registration's lifecycle: PENDING → CONFIRMED, either → CANCELLED. */
export type RegistrationStatus = (typeof REGISTRATION_STATUSES)[number];
const SESSION_STATUSES = ['SCHEDULED', 'CANCELLED'] as const;
/** A session's lifecycle: SCHEDULED → CANCELLED. */
export type SessionStatus = (typeof SESSION_STATUSES)[number];
const CHECKIN_METHODS = ['REGISTRATION_ID', 'TICKET_CODE'] as const;
/** How an attendee was found at check-in. */
export type CheckInMethod = (typeof CHECKIN_METHODS)[number];
/**
 * An invitation's answer: PENDING until the attendee accepts or declines; WITHDRAWN when the
 * registration was cancelled by someone else before an answer.
 */
const INVITATION_STATES = ['PENDING', 'ACCEPTED', 'DECLINED', 'WITHDRAWN'] as const;
/** An invitation's answer (see INVITATION_STATES). */
export type InvitationState = (typeof INVITATION_STATES)[number];
/** Most check-in staff one event can have. */
export const MAX_CHECK_IN_STAFF = 100;

/** Longest event or session title, in characters. */
export const TITLE_MAX = 200;
/** Longest event or session description, in characters. */
export const DESCRIPTION_MAX = 5000;
/** Longest cancellation reason, in characters. */
export const REASON_MAX = 500;

/** Where an event takes place, as stored. */
export interface VenueDoc {
  name?: string | null;
  address?: string | null;
  city?: string | null;
  country?: string | null;
  onlineUrl?: string | null;
}

/** An event as stored (lean document). */
export interface EventDoc {
  _id: Types.ObjectId;
  title: string;
  description: string | null;
  status: EventStatus;
  startsAt: Date;
  endsAt: Date;
  timezone: string;
  capacity: number | null;
  venue: VenueDoc | null;
  organizerId: Types.ObjectId;
  organizationId: Types.ObjectId | null;
  parentId: Types.ObjectId | null;
  cancellationReason: string | null;
  publishedAt: Date | null;
  cancelledAt: Date | null;
  /**
   * Bumped inside every transaction that changes who holds a spot: concurrent registrations of one
   * event conflict on this document and are serialised; its value orders the waitlist.
   */
  registrationSeq: number;
  /** Users who may check attendees in at this event (and watch its check-ins), besides its organizer. */
  checkInStaffIds?: Types.ObjectId[];
  createdAt: Date;
  updatedAt: Date;
}

/** A session as stored (lean document). */
export interface SessionDoc {
  _id: Types.ObjectId;
  eventId: Types.ObjectId;
  title: string;
  description: string | null;
  startsAt: Date;
  endsAt: Date;
  room: string | null;
  status: SessionStatus;
  cancellationReason: string | null;
  speakerIds: Types.ObjectId[];
  createdAt: Date;
  updatedAt: Date;
}

/** A registration as stored (lean document). */
export interface RegistrationDoc {
  _id: Types.ObjectId;
  eventId: Types.ObjectId;
  attendeeId: Types.ObjectId;
  status: RegistrationStatus;
  ticketCode: string;
  /** PENDING and waiting for a spot. */
  waitlisted: boolean;
  /** Waitlist order (the event's registrationSeq when the registration was made). */
  queueSeq: number;
  /** `<eventId>:<attendeeId>` while not cancelled: one active registration per attendee and event. */
  activeKey?: string | null;
  cancellationReason: string | null;
  confirmedAt: Date | null;
  cancelledAt: Date | null;
  /** Set together with the CheckIn; a checked-in registration can no longer be cancelled. */
  checkedInAt: Date | null;
  /**
   * Set when someone other than the attendee (an organizer) made the registration. While PENDING it
   * holds no spot, is not on the waitlist and counts for nothing; null for registrations the
   * attendee made (or an admin made for them).
   */
  invitationState?: InvitationState | null;
  /** Who invited the attendee (user id), for invitations. */
  invitedBy?: Types.ObjectId | null;
  /** When the attendee accepted or declined, or the invitation was withdrawn. */
  invitationAnsweredAt?: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/** A check-in as stored (lean document): at most one per registration. */
export interface CheckInDoc {
  _id: Types.ObjectId;
  registrationId: Types.ObjectId;
  eventId: Types.ObjectId;
  attendeeId: Types.ObjectId;
  checkedInAt: Date;
  method: CheckInMethod;
  /** Who performed the check-in (principal sub), when known. */
  checkedInBy: string | null;
}

/** The events models on one connection. */
export interface EventsModels {
  Event: Model<EventDoc>;
  Session: Model<SessionDoc>;
  Registration: Model<RegistrationDoc>;
  CheckIn: Model<CheckInDoc>;
}

const text = (max: number) => ({ type: String, trim: true, maxlength: max, default: null });

function eventSchema(): Schema<EventDoc> {
  const venue = new Schema<VenueDoc>(
    { name: text(200), address: text(300), city: text(100), country: text(100), onlineUrl: text(2000) },
    { _id: false },
  );
  const s = new Schema<EventDoc>(
    {
      title: { type: String, required: true, trim: true, minlength: 1, maxlength: TITLE_MAX },
      description: text(DESCRIPTION_MAX),
      status: { type: String, enum: EVENT_STATUSES, required: true, default: 'DRAFT' },
      startsAt: { type: Date, required: true },
      endsAt: { type: Date, required: true },
      timezone: { type: String, required: true, default: 'UTC' },
      capacity: { type: Number, min: 0, default: null, validate: { validator: (v: unknown) => v === null || Number.isInteger(v), message: 'must be a whole number' } },
      venue: { type: venue, default: null },
      organizerId: { type: Schema.Types.ObjectId, required: true },
      organizationId: { type: Schema.Types.ObjectId, default: null },
      parentId: { type: Schema.Types.ObjectId, default: null },
      cancellationReason: text(REASON_MAX),
      publishedAt: { type: Date, default: null },
      cancelledAt: { type: Date, default: null },
      registrationSeq: { type: Number, default: 0 },
      checkInStaffIds: { type: [Schema.Types.ObjectId], default: [] },
    },
    { collection: 'events', timestamps: true, versionKey: false },
  );
  s.index({ startsAt: 1, _id: 1 });
  s.index({ createdAt: -1, _id: -1 });
  s.index({ status: 1, startsAt: 1 });
  s.index({ organizerId: 1, startsAt: 1 });
  s.index({ parentId: 1, startsAt: 1 });
  s.index({ checkInStaffIds: 1 });
  return s;
}

function sessionSchema(): Schema<SessionDoc> {
  const s = new Schema<SessionDoc>(
    {
      eventId: { type: Schema.Types.ObjectId, required: true },
      title: { type: String, required: true, trim: true, minlength: 1, maxlength: TITLE_MAX },
      description: text(DESCRIPTION_MAX),
      startsAt: { type: Date, required: true },
      endsAt: { type: Date, required: true },
      room: text(100),
      status: { type: String, enum: SESSION_STATUSES, required: true, default: 'SCHEDULED' },
      cancellationReason: text(REASON_MAX),
      speakerIds: { type: [Schema.Types.ObjectId], default: [] },
    },
    { collection: 'sessions', timestamps: true, versionKey: false },
  );
  s.index({ eventId: 1, startsAt: 1 });
  s.index({ speakerIds: 1 });
  return s;
}

function registrationSchema(): Schema<RegistrationDoc> {
  const s = new Schema<RegistrationDoc>(
    {
      eventId: { type: Schema.Types.ObjectId, required: true },
      attendeeId: { type: Schema.Types.ObjectId, required: true },
      status: { type: String, enum: REGISTRATION_STATUSES, required: true, default: 'PENDING' },
      ticketCode: { type: String, required: true },
      waitlisted: { type: Boolean, default: false },
      queueSeq: { type: Number, default: 0 },
      activeKey: { type: String },
      cancellationReason: text(REASON_MAX),
      confirmedAt: { type: Date, default: null },
      cancelledAt: { type: Date, default: null },
      checkedInAt: { type: Date, default: null },
      invitationState: { type: String, enum: [...INVITATION_STATES, null], default: null },
      invitedBy: { type: Schema.Types.ObjectId, default: null },
      invitationAnsweredAt: { type: Date, default: null },
    },
    { collection: 'registrations', timestamps: true, versionKey: false },
  );
  s.index({ ticketCode: 1 }, { unique: true });
  s.index({ activeKey: 1 }, { unique: true, sparse: true });
  s.index({ eventId: 1, status: 1, _id: 1 });
  s.index({ eventId: 1, waitlisted: 1, queueSeq: 1 });
  s.index({ attendeeId: 1, _id: 1 });
  return s;
}

function checkInSchema(): Schema<CheckInDoc> {
  const s = new Schema<CheckInDoc>(
    {
      registrationId: { type: Schema.Types.ObjectId, required: true },
      eventId: { type: Schema.Types.ObjectId, required: true },
      attendeeId: { type: Schema.Types.ObjectId, required: true },
      checkedInAt: { type: Date, required: true },
      method: { type: String, enum: CHECKIN_METHODS, required: true },
      checkedInBy: { type: String, default: null },
    },
    { collection: 'checkins', versionKey: false },
  );
  // One check-in per registration: concurrent duplicates fail with 11000 and read the winner.
  s.index({ registrationId: 1 }, { unique: true });
  s.index({ eventId: 1, checkedInAt: 1 });
  return s;
}

/** The events models on a connection (compiled once per connection). */
export function eventsModels(conn: Connection): EventsModels {
  return {
    Event: modelOn(conn, 'Event', eventSchema),
    Session: modelOn(conn, 'Session', sessionSchema),
    Registration: modelOn(conn, 'Registration', registrationSchema),
    CheckIn: modelOn(conn, 'CheckIn', checkInSchema),
  };
}
