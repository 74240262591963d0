/**
 * Whether the user behind a caller may still act: a user principal must be a user that exists and
 * is not erased; a partner acting for an owner needs that owner to exist and not be erased. Read
 * from the database on every write (no cache), so an erasure takes effect at once in this subgraph.
 * Also answers the gateway's `userStatus` lookups.
 */
import { Types } from 'mongoose';
import { appError } from '../../platform/errors.js';
import { requireAuthenticated } from '../kit/authz.js';
import { maybeObjectId } from '../kit/ids.js';
import type { Principal } from '../../platform/principal.js';
import { requireReadUserStatus } from './access.js';
import type { PeopleModels, UserDoc } from './models.js';

/**
 * Comment on the database commands that check credentials and user status for the gateway. The
 * gateway caches their answers for a short time, so these commands come and go with the clock
 * rather than with the operation being served.
 */
export const CREDENTIAL_CHECK_COMMENT = 'eventgraph:credential-check';

/** Whether a user id names a user, and whether that user was erased. */
export type UserState = 'active' | 'erased' | 'unknown';

/** The gateway's view of a user (`Query.userStatus`). */
export interface UserStatus {
  id: string;
  exists: boolean;
  erased: boolean;
}

function refused(details: string): Error {
  return appError('UNAUTHENTICATED', 'The credentials are not valid', { details });
}

/** What the actor service reads. */
export interface ActorServiceOptions {
  models: PeopleModels;
}

/** The actor checks over the people models. */
export function createActorService({ models: m }: ActorServiceOptions) {
  async function stateOf(id: unknown): Promise<UserState> {
    const _id = id instanceof Types.ObjectId ? id : maybeObjectId(id);
    if (!_id) return 'unknown';
    const user = await m.User.findById(_id).select({ erasedAt: 1 }).comment(CREDENTIAL_CHECK_COMMENT).lean<Pick<UserDoc, '_id' | 'erasedAt'>>().exec();
    if (!user) return 'unknown';
    return user.erasedAt ? 'erased' : 'active';
  }

  /** Throws UNAUTHENTICATED unless `id` is an existing, not erased user; `who` words the reason. */
  async function requireActiveUser(id: unknown, who: 'user' | 'owner'): Promise<void> {
    const state = await stateOf(id);
    if (state === 'active') return;
    const subject = who === 'user' ? 'the user' : "the client's owner";
    throw refused(state === 'erased' ? `${subject} has been erased` : `${subject} is not known`);
  }

  return {
    stateOf,
    requireActiveUser,

    /**
     * Refuses a write by an anonymous caller, by a user who is erased or unknown, and by a partner
     * whose owner is. Internal callers pass; partners without an owner (admin-granted clients) are
     * checked where their client record is read.
     */
    async requireActive(p: Principal): Promise<void> {
      requireAuthenticated(p);
      if (p.kind === 'user') await requireActiveUser(p.sub, 'user');
      else if (p.kind === 'partner' && p.ownerId) await requireActiveUser(p.ownerId, 'owner');
    },

    /** For the gateway (internal callers only): does `id` name a user, and was it erased? */
    async userStatus(p: Principal, id: unknown): Promise<UserStatus> {
      requireReadUserStatus(p);
      const state = await stateOf(id);
      return { id: String(id), exists: state !== 'unknown', erased: state === 'erased' };
    },
  };
}

/** The actor checks: user states, the active-writer check, the gateway's user status lookups. */
export type ActorService = ReturnType<typeof createActorService>;
