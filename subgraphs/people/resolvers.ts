/** People resolvers: thin mappings onto the services and per-request loaders. */
import { scalarResolvers } from '../kit/scalars.js';
import type { PageArgs } from '../kit/pagination.js';
import type { ActorService } from './actors.js';
import type { ApiClientService } from './api-clients.js';
import type { PeopleContext } from './loaders.js';
import type { ApiClientDoc, ConsentPurpose, OrganizationDoc, UserDoc } from './models.js';
import { requireSeeEmail, requireSeePrivate } from './access.js';
import type { PeopleService } from './service.js';

/** Field arguments as GraphQL hands them over (validated by the services); typed where the schema's non-null types are relied on. */
type Args = Record<string, unknown>;
type InputArgs = Args & { input: Record<string, unknown> };
const id = (doc: { _id: { toHexString(): string } }): string => doc._id.toHexString();

/** A user as resolved from an entity representation: the document plus the fields the gateway passed. */
type UserParent = UserDoc & { organizerIdsOfRegisteredEvents?: string[] };

/** The `@requires` input of a representation: a list of ids, or nothing when absent or malformed. */
function organizerIdsOf(ref: Record<string, unknown>): string[] | undefined {
  const value = ref.organizerIdsOfRegisteredEvents;
  return Array.isArray(value) && value.every((v) => typeof v === 'string') ? value : undefined;
}

/** A private field of User: its value for callers who may see the user's private data, FORBIDDEN for others. */
function privateField<K extends 'preferences' | 'consents'>(field: K) {
  return (u: UserParent, _: Args, ctx: PeopleContext): UserDoc[K] => {
    requireSeePrivate(ctx.principal, id(u), field);
    return u[field];
  };
}

/** The services the people resolvers map onto. */
export interface PeopleResolversOptions {
  people: PeopleService;
  apiClients: ApiClientService;
  actors: ActorService;
}

/** The resolver map of the people subgraph. */
export function createPeopleResolvers({ people, apiClients: clients, actors }: PeopleResolversOptions) {
  return {
    ...scalarResolvers,
    UserRole: { ATTENDEE: 'attendee', ORGANIZER: 'organizer', SPEAKER: 'speaker', ADMIN: 'admin' },
    Query: {
      me: (_: unknown, __: Args, ctx: PeopleContext) => {
        const me = people.meId(ctx.principal);
        return me ? ctx.loaders.user.load(me) : null;
      },
      user: (_: unknown, a: { id: string }, ctx: PeopleContext) => ctx.loaders.user.load(a.id),
      users: (_: unknown, a: PageArgs, ctx: PeopleContext) => people.listUsers(ctx.principal, a),
      organization: (_: unknown, a: { id: string }, ctx: PeopleContext) => ctx.loaders.organization.load(a.id),
      apiClients: (_: unknown, a: PageArgs, ctx: PeopleContext) => clients.list(ctx.principal, a),
      verifyApiKey: (_: unknown, a: Args, ctx: PeopleContext) => clients.verifyApiKey(ctx.principal, a.key),
      verifyClientCredentials: (_: unknown, a: Args, ctx: PeopleContext) => clients.verifyClientCredentials(ctx.principal, a.clientId, a.clientSecret),
      userStatus: (_: unknown, a: Args, ctx: PeopleContext) => actors.userStatus(ctx.principal, a.id),
    },
    Mutation: {
      createUser: (_: unknown, a: InputArgs, ctx: PeopleContext) => people.createUser(ctx.principal, a.input),
      updateUser: (_: unknown, a: InputArgs, ctx: PeopleContext) => people.updateUser(ctx.principal, a.id, a.input),
      updateProfile: (_: unknown, a: InputArgs, ctx: PeopleContext) => people.updateProfile(ctx.principal, a.id, a.input),
      updatePreferences: (_: unknown, a: InputArgs, ctx: PeopleContext) => people.updatePreferences(ctx.principal, a.id, a.input),
      setConsent: (_: unknown, a: Args & { purpose: ConsentPurpose }, ctx: PeopleContext) => people.setConsent(ctx.principal, a.userId, a.purpose, a.granted),
      assignRoles: (_: unknown, a: Args, ctx: PeopleContext) => people.assignRoles(ctx.principal, a.userId, a.roles),
      createOrganization: (_: unknown, a: InputArgs, ctx: PeopleContext) => people.createOrganization(ctx.principal, a.input),
      requestDataExport: (_: unknown, a: Args, ctx: PeopleContext) => people.exportData(ctx.principal, a.userId),
      eraseUser: (_: unknown, a: Args, ctx: PeopleContext) => people.eraseUser(ctx.principal, a.userId),
      createApiClient: (_: unknown, a: InputArgs, ctx: PeopleContext) => clients.create(ctx.principal, a.input),
      updateApiClient: (_: unknown, a: InputArgs, ctx: PeopleContext) => clients.update(ctx.principal, a.id, a.input),
      revokeApiClient: (_: unknown, a: Args, ctx: PeopleContext) => clients.revoke(ctx.principal, a.id),
    },
    User: {
      __resolveReference: async (ref: { id: string } & Record<string, unknown>, ctx: PeopleContext): Promise<UserParent | null> => {
        const user = await ctx.loaders.user.load(ref.id);
        const organizerIds = organizerIdsOf(ref);
        return user && organizerIds ? { ...user, organizerIdsOfRegisteredEvents: organizerIds } : user;
      },
      id,
      email: (u: UserParent, _: Args, ctx: PeopleContext) => {
        requireSeeEmail(ctx.principal, id(u), u.organizerIdsOfRegisteredEvents);
        return u.email;
      },
      preferences: privateField('preferences'),
      consents: privateField('consents'),
      speakerProfile: (u: UserDoc) => u.speakerProfile ?? null,
      organization: (u: UserDoc, _: Args, ctx: PeopleContext) => (u.organizationId ? ctx.loaders.organization.load(u.organizationId.toHexString()) : null),
    },
    Organization: {
      __resolveReference: (ref: { id: string }, ctx: PeopleContext) => ctx.loaders.organization.load(ref.id),
      id,
      members: (o: OrganizationDoc, _: Args, ctx: PeopleContext) => ctx.loaders.membersByOrganization.load(id(o)),
    },
    ApiClient: {
      id,
      ownerId: (c: ApiClientDoc) => c.ownerId.toHexString(),
      global: (c: ApiClientDoc) => c.global === true,
    },
  };
}
