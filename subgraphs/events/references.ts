/**
 * Checks of the people a write of the events subgraph references (attendees, speakers, check-in
 * staff, organizers) and of organizations, made at the people subgraph before the write: a
 * reference to someone who does not exist, or whose data was erased, is refused and nothing is
 * written. One call per write, whatever the number of ids.
 */
import { appError, notFound } from '../../platform/errors.js';
import type { Peers } from '../kit/peers.js';
import type { EventsContext } from './loaders.js';

/** A user id to check and the input path an error about it points at. */
export interface UserRef {
  id: string;
  target: string;
}

/** Why a referenced user cannot be used, or null when it can. */
export type UserProblem = 'missing' | 'erased' | null;

/** The refusal for a problem with a referenced user. */
export function userRefError(ref: UserRef, problem: Exclude<UserProblem, null>): Error {
  if (problem === 'missing') return notFound('User', ref.id, ref.target);
  return appError('INVALID_STATE_TRANSITION', 'The user can no longer be referenced', { details: `User with ID '${ref.id}' was erased`, target: ref.target });
}

/** What the reference checks work with. */
export interface ReferencesOptions {
  /** Reaches the people subgraph. */
  peers: Peers;
}

/** Lookups of referenced people and organizations at the people subgraph. */
export function createReferences({ peers }: ReferencesOptions) {
  /** The problem of each user id (one call for all of them), keyed by the lower-case id. */
  async function userProblems(ctx: EventsContext, ids: readonly string[]): Promise<Map<string, UserProblem>> {
    const unique = [...new Set(ids.map((id) => id.toLowerCase()))];
    if (unique.length === 0) return new Map();
    const found = await peers.entities<{ id?: unknown; erasedAt?: unknown }>('people', 'User', unique, 'id erasedAt', { correlationId: ctx.correlationId });
    return new Map(
      unique.map((id, i): [string, UserProblem] => {
        const user = found[i];
        return [id, !user ? 'missing' : user.erasedAt ? 'erased' : null];
      }),
    );
  }

  return {
    userProblems,

    /** Throws the first problem among the referenced users (missing, erased). */
    async requireUsers(ctx: EventsContext, refs: readonly UserRef[]): Promise<void> {
      if (refs.length === 0) return;
      const problems = await userProblems(ctx, refs.map((r) => r.id));
      for (const ref of refs) {
        const problem = problems.get(ref.id.toLowerCase());
        if (problem) throw userRefError(ref, problem);
      }
    },

    /** Throws RESOURCE_NOT_FOUND when the organization does not exist. */
    async requireOrganization(ctx: EventsContext, id: string, target: string): Promise<void> {
      const [org] = await peers.entities('people', 'Organization', [id], 'id', { correlationId: ctx.correlationId });
      if (!org) throw notFound('Organization', id, target);
    },
  };
}

/** Checks of referenced users and organizations at the people subgraph. */
export type References = ReturnType<typeof createReferences>;
