/** People data on the subgraph's own connection: users, organizations, API clients. */
import { Schema, type Connection, type Model, type Types } from 'mongoose';
import { modelOn } from '../kit/subgraph.js';

/** Every role a user can hold. */
export const ROLES = ['attendee', 'organizer', 'speaker', 'admin'] as const;
/** A user's role. */
export type Role = (typeof ROLES)[number];
const CONSENT_PURPOSES = ['MARKETING', 'ANALYTICS', 'THIRD_PARTY_SHARING', 'PROFILING'] as const;
/** What a user consents to (or not). */
export type ConsentPurpose = (typeof CONSENT_PURPOSES)[number];

/** A speaker's public profile, as stored. */
export interface SpeakerProfileDoc {
  bio?: string | null;
  company?: string | null;
  title?: string | null;
  links: Array<{ label: string; url: string }>;
}

/** A user's consent to one purpose, with when it was given and withdrawn. */
export interface ConsentDoc {
  purpose: ConsentPurpose;
  granted: boolean;
  grantedAt: Date | null;
  revokedAt: Date | null;
  updatedAt: Date;
}

/** A user as stored (lean document). */
export interface UserDoc {
  _id: Types.ObjectId;
  name: string;
  email: string;
  roles: Role[];
  organizationId: Types.ObjectId | null;
  speakerProfile: SpeakerProfileDoc | null;
  preferences: { language: string; timezone: string; notifications: { email: boolean; sms: boolean; push: boolean } };
  consents: ConsentDoc[];
  erasedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/** An organization as stored (lean document). */
export interface OrganizationDoc {
  _id: Types.ObjectId;
  name: string;
  slug: string;
  createdAt: Date;
  updatedAt: Date;
}

/** A partner API client as stored: hashed secrets only. */
export interface ApiClientDoc {
  _id: Types.ObjectId;
  name: string;
  ownerId: Types.ObjectId;
  scopes: string[];
  /**
   * True when an admin granted the scopes: they then reach every object. Otherwise (also when the
   * field is absent, as on clients created before it existed) the client acts for its owner.
   */
  global?: boolean;
  clientId: string;
  /** Public lookup part of the API key (stored in clear, unique). */
  keyId: string;
  /** `eg_live_` + the first characters, shown in lists. */
  keyPrefix: string;
  keySalt: string;
  keyHash: string;
  secretSalt: string;
  secretHash: string;
  revokedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/** The people models on one connection. */
export interface PeopleModels {
  User: Model<UserDoc>;
  Organization: Model<OrganizationDoc>;
  ApiClient: Model<ApiClientDoc>;
}

const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function userSchema(): Schema<UserDoc> {
  const s = new Schema<UserDoc>(
    {
      name: { type: String, required: true, trim: true, minlength: 1, maxlength: 200 },
      email: { type: String, required: true, trim: true, lowercase: true, maxlength: 254, match: [EMAIL_RE, 'must be an email address'] },
      roles: { type: [{ type: String, enum: ROLES }], default: ['attendee'] },
      organizationId: { type: Schema.Types.ObjectId, default: null },
      speakerProfile: {
        type: new Schema<SpeakerProfileDoc>(
          {
            bio: { type: String, maxlength: 5000, default: null },
            company: { type: String, maxlength: 200, default: null },
            title: { type: String, maxlength: 200, default: null },
            links: { type: [{ label: { type: String, required: true, maxlength: 100 }, url: { type: String, required: true, maxlength: 2048 }, _id: false }], default: [] },
          },
          { _id: false },
        ),
        default: null,
      },
      preferences: {
        language: { type: String, default: 'en', maxlength: 35 },
        timezone: { type: String, default: 'UTC', maxlength: 64 },
        notifications: {
          email: { type: Boolean, default: true },
          sms: { type: Boolean, default: false },
          push: { type: Boolean, default: false },
        },
      },
      consents: {
        type: [
          {
            purpose: { type: String, enum: CONSENT_PURPOSES, required: true },
            granted: { type: Boolean, required: true },
            grantedAt: { type: Date, default: null },
            revokedAt: { type: Date, default: null },
            updatedAt: { type: Date, required: true },
            _id: false,
          },
        ],
        default: [],
      },
      erasedAt: { type: Date, default: null },
    },
    { collection: 'users', timestamps: true, versionKey: false },
  );
  s.index({ email: 1 }, { unique: true });
  s.index({ organizationId: 1 });
  s.index({ roles: 1, _id: 1 });
  return s;
}

function organizationSchema(): Schema<OrganizationDoc> {
  const s = new Schema<OrganizationDoc>(
    {
      name: { type: String, required: true, trim: true, minlength: 1, maxlength: 200 },
      slug: { type: String, required: true, trim: true, lowercase: true, maxlength: 80, match: [/^[a-z0-9]+(-[a-z0-9]+)*$/, 'must be lowercase letters, digits and dashes'] },
    },
    { collection: 'organizations', timestamps: true, versionKey: false },
  );
  s.index({ slug: 1 }, { unique: true });
  return s;
}

function apiClientSchema(): Schema<ApiClientDoc> {
  const s = new Schema<ApiClientDoc>(
    {
      name: { type: String, required: true, trim: true, minlength: 1, maxlength: 200 },
      ownerId: { type: Schema.Types.ObjectId, required: true },
      scopes: { type: [String], default: [] },
      global: { type: Boolean, default: false },
      clientId: { type: String, required: true },
      keyId: { type: String, required: true },
      keyPrefix: { type: String, required: true },
      keySalt: { type: String, required: true },
      keyHash: { type: String, required: true },
      secretSalt: { type: String, required: true },
      secretHash: { type: String, required: true },
      revokedAt: { type: Date, default: null },
    },
    { collection: 'api_clients', timestamps: true, versionKey: false },
  );
  s.index({ clientId: 1 }, { unique: true });
  s.index({ keyId: 1 }, { unique: true });
  s.index({ ownerId: 1, _id: 1 });
  return s;
}

/** Registers the people models on `conn` (once per connection). */
export function peopleModels(conn: Connection): PeopleModels {
  return {
    User: modelOn(conn, 'User', userSchema),
    Organization: modelOn(conn, 'Organization', organizationSchema),
    ApiClient: modelOn(conn, 'ApiClient', apiClientSchema),
  };
}
