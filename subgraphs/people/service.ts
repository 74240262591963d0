/**
 * Domain rules for users and organizations: validation, consent, GDPR export and erasure (who may
 * do what is in access.ts). Every write is refused when its author is an erased or unknown user (or a partner whose
 * owner is), and writes to an erased user are refused: erasure is final.
 */
import type { Connection, Types } from 'mongoose';
import { appError, badInput, notFound } from '../../platform/errors.js';
import { requireAuthenticated } from '../kit/authz.js';
import { toObjectId } from '../kit/ids.js';
import { inTransaction, recordEvents } from '../kit/outbox.js';
import { paginate, type Connection as Page, type PageArgs } from '../kit/pagination.js';
import type { Principal } from '../../platform/principal.js';
import { escapeRegex, optionalString, requireEmail, requireString, withDbErrors } from '../kit/input.js';
import {
  requireAssignRoles,
  requireChangeUser,
  requireCreateWithRoles,
  requireEraseUsers,
  requireExportUserData,
  requireListUsers,
  requireManagePeople,
  requireMoveBetweenOrganizations,
} from './access.js';
import type { ActorService } from './actors.js';
import { userErased } from './events.js';
import { ROLES, type ConsentDoc, type ConsentPurpose, type OrganizationDoc, type PeopleModels, type Role, type UserDoc } from './models.js';
import { profileUpdate, preferencesUpdate, toExport } from './profile.js';

function roleList(value: unknown, target: string): Role[] {
  if (!Array.isArray(value)) throw badInput(target, 'must be a list of roles');
  const roles = [...new Set(value)];
  roles.forEach((r, i) => {
    if (!(ROLES as readonly unknown[]).includes(r)) throw badInput(`${target}.${i}`, `unknown role '${String(r)}'`);
  });
  if (roles.length === 0) throw badInput(target, 'at least one role is required');
  return roles as Role[];
}

/** Turns a name into a URL slug. */
function slugify(name: string): string {
  return name.toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 80) || 'org';
}

const EMAIL_CONFLICT = { conflicts: { email: 'input.email' }, conflictMessage: 'A user with this email already exists' } as const;

function erased(id: string, target: string): Error {
  return appError('INVALID_STATE_TRANSITION', 'An erased user cannot be changed', { target, details: `User '${id}' has been erased` });
}

/** What the people service works with. */
export interface PeopleServiceOptions {
  models: PeopleModels;
  /** The people database, for transactions and the outbox. */
  conn: Connection;
  /** Checks that the users behind callers may still act. */
  actors: ActorService;
}

/** The people service over its models. */
export function createPeopleService({ models: m, conn, actors }: PeopleServiceOptions) {
  async function existingUser(id: unknown, target: string): Promise<UserDoc> {
    const _id = toObjectId(id, target);
    const user = await m.User.findById(_id).lean<UserDoc>().exec();
    if (!user) throw notFound('User', String(id), target);
    return user;
  }

  /** The user, refused when erased (for writes). */
  async function changeableUser(id: unknown, target: string): Promise<UserDoc> {
    const user = await existingUser(id, target);
    if (user.erasedAt) throw erased(user._id.toHexString(), target);
    return user;
  }

  async function assertOrganization(id: unknown, target: string): Promise<Types.ObjectId> {
    const _id = toObjectId(id, target);
    if (!(await m.Organization.exists({ _id }))) throw notFound('Organization', String(id), target);
    return _id;
  }

  /** Writes fields of a user that is not erased (checked in the same write, so an erasure in between wins). */
  async function setFields(id: Types.ObjectId, set: Record<string, unknown>, { prefix = 'input', target = 'id' } = {}): Promise<UserDoc> {
    const updated = await withDbErrors(
      () => m.User.findOneAndUpdate({ _id: id, erasedAt: null }, { $set: set }, { returnDocument: 'after', runValidators: true }).lean<UserDoc>().exec(),
      { ...EMAIL_CONFLICT, prefix },
    );
    if (updated) return updated;
    if (await m.User.exists({ _id: id })) throw erased(id.toHexString(), target);
    throw notFound('User', id.toHexString(), target);
  }

  return {
    async listUsers(p: Principal, args: PageArgs & { role?: unknown; search?: unknown }): Promise<Page<UserDoc>> {
      requireListUsers(p);
      const filter: Record<string, unknown> = {};
      if (args.role !== undefined && args.role !== null) filter.roles = roleList([args.role], 'role')[0];
      const search = optionalString(args.search, 'search', { min: 0, max: 100 });
      if (search) {
        const re = { $regex: escapeRegex(search), $options: 'i' };
        filter.$or = [{ name: re }, { email: re }];
      }
      return paginate(m.User, { filter, page: args });
    },

    async createUser(p: Principal, input: Record<string, unknown>): Promise<UserDoc> {
      await actors.requireActive(p);
      requireManagePeople(p);
      const name = requireString(input.name, 'input.name', { max: 200 });
      const email = requireEmail(input.email, 'input.email');
      const roles = input.roles === undefined || input.roles === null ? (['attendee'] as Role[]) : roleList(input.roles, 'input.roles');
      requireCreateWithRoles(p, roles);
      const organizationId = input.organizationId ? await assertOrganization(input.organizationId, 'input.organizationId') : null;
      const created = await withDbErrors(() => m.User.create({ name, email, roles, organizationId }), EMAIL_CONFLICT);
      return created.toObject();
    },

    async updateUser(p: Principal, id: unknown, input: Record<string, unknown>): Promise<UserDoc> {
      const _id = toObjectId(id, 'id');
      await actors.requireActive(p);
      requireChangeUser(p, _id.toHexString(), 'user');
      const set: Record<string, unknown> = {};
      if (input.name !== undefined && input.name !== null) set.name = requireString(input.name, 'input.name', { max: 200 });
      if (input.email !== undefined && input.email !== null) set.email = requireEmail(input.email, 'input.email');
      if (input.organizationId !== undefined) {
        requireMoveBetweenOrganizations(p);
        set.organizationId = input.organizationId === null ? null : await assertOrganization(input.organizationId, 'input.organizationId');
      }
      if (Object.keys(set).length === 0) return changeableUser(id, 'id');
      return setFields(_id, set);
    },

    async updateProfile(p: Principal, id: unknown, input: Record<string, unknown>): Promise<UserDoc> {
      await actors.requireActive(p);
      const user = await existingUser(id, 'id');
      requireChangeUser(p, user._id.toHexString(), 'profile');
      if (user.erasedAt) throw erased(user._id.toHexString(), 'id');
      return setFields(user._id, profileUpdate(user, input));
    },

    async updatePreferences(p: Principal, id: unknown, input: Record<string, unknown>): Promise<UserDoc> {
      const _id = toObjectId(id, 'id');
      await actors.requireActive(p);
      requireChangeUser(p, _id.toHexString(), 'preferences');
      const set = preferencesUpdate(input);
      if (Object.keys(set).length === 0) return changeableUser(id, 'id');
      return setFields(_id, set);
    },

    async setConsent(p: Principal, userId: unknown, purpose: ConsentPurpose, granted: unknown): Promise<UserDoc> {
      await actors.requireActive(p);
      const user = await existingUser(userId, 'userId');
      requireChangeUser(p, user._id.toHexString(), 'consent');
      if (user.erasedAt) throw erased(user._id.toHexString(), 'userId');
      if (typeof granted !== 'boolean') throw badInput('granted', 'must be a boolean');
      const now = new Date();
      const prev = user.consents.find((c) => c.purpose === purpose);
      const next: ConsentDoc = {
        purpose,
        granted,
        grantedAt: granted ? now : (prev?.grantedAt ?? null),
        revokedAt: granted ? (prev?.revokedAt ?? null) : now,
        updatedAt: now,
      };
      const consents = [...user.consents.filter((c) => c.purpose !== purpose), next];
      return setFields(user._id, { consents }, { target: 'userId' });
    },

    async assignRoles(p: Principal, userId: unknown, roles: unknown): Promise<UserDoc> {
      await actors.requireActive(p);
      requireAssignRoles(p);
      const _id = toObjectId(userId, 'userId');
      const list = roleList(roles, 'roles');
      await changeableUser(userId, 'userId');
      return setFields(_id, { roles: list }, { prefix: '', target: 'userId' });
    },

    async createOrganization(p: Principal, input: Record<string, unknown>): Promise<OrganizationDoc> {
      await actors.requireActive(p);
      requireManagePeople(p);
      const name = requireString(input.name, 'input.name', { max: 200 });
      const slug = input.slug === undefined || input.slug === null ? slugify(name) : requireString(input.slug, 'input.slug', { max: 80 });
      const org = await withDbErrors(() => m.Organization.create({ name, slug }), { conflicts: { slug: 'input.slug' }, conflictMessage: 'An organization with this slug already exists' });
      return org.toObject();
    },

    async exportData(p: Principal, userId: unknown): Promise<Record<string, unknown>> {
      const user = await existingUser(userId, 'userId');
      requireExportUserData(p, user._id.toHexString());
      const [organization, clients] = await Promise.all([
        user.organizationId ? m.Organization.findById(user.organizationId).lean<OrganizationDoc>().exec() : null,
        m.ApiClient.find({ ownerId: user._id }).sort({ _id: 1 }).lean().exec(),
      ]);
      return toExport(user, organization, clients);
    },

    async eraseUser(p: Principal, userId: unknown): Promise<UserDoc> {
      await actors.requireActive(p);
      requireEraseUsers(p);
      const user = await existingUser(userId, 'userId');
      if (user.erasedAt) return user;
      const id = user._id.toHexString();
      const erasedAt = new Date();
      return inTransaction(conn, async (session) => {
        const erased = await m.User.findByIdAndUpdate(
          user._id,
          {
            $set: {
              name: 'Erased user',
              email: `erased-${id}@erased.invalid`,
              organizationId: null,
              speakerProfile: null,
              preferences: { language: 'en', timezone: 'UTC', notifications: { email: false, sms: false, push: false } },
              consents: [],
              erasedAt,
            },
          },
          { returnDocument: 'after', session },
        )
          .lean<UserDoc>()
          .exec();
        await m.ApiClient.updateMany({ ownerId: user._id, revokedAt: null }, { $set: { revokedAt: erasedAt } }, { session }).exec();
        await recordEvents(conn, session, [userErased(id, erasedAt)]);
        return erased!;
      });
    },

    /** The signed-in user (null when the principal is not a user or the user is unknown). */
    meId(p: Principal): string | null {
      requireAuthenticated(p);
      return p.kind === 'user' ? p.sub : null;
    },
  };
}

/** Users and organizations: lists, writes, consent, GDPR export and erasure. */
export type PeopleService = ReturnType<typeof createPeopleService>;
