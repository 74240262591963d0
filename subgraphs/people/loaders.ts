/** Per-request DataLoaders of the people subgraph: one query per batch, results in key order. */
import type DataLoader from 'dataloader';
import { byIdLoader, groupLoader } from '../kit/loaders.js';
import type { SubgraphContext } from '../kit/context.js';
import type { ApiClientDoc, OrganizationDoc, PeopleModels, UserDoc } from './models.js';

/** The DataLoaders of one people request. */
export interface PeopleLoaders {
  user: DataLoader<string, UserDoc | null>;
  organization: DataLoader<string, OrganizationDoc | null>;
  membersByOrganization: DataLoader<string, UserDoc[]>;
  apiClient: DataLoader<string, ApiClientDoc | null>;
}

/** The per-request context of the people resolvers: the common context plus its loaders. */
export type PeopleContext = SubgraphContext<PeopleLoaders>;

/** Builds a fresh set of loaders (call once per request). */
export function createPeopleLoaders(m: PeopleModels): PeopleLoaders {
  return {
    user: byIdLoader((ids) => m.User.find({ _id: { $in: ids } }).lean<UserDoc[]>().exec()),
    organization: byIdLoader((ids) => m.Organization.find({ _id: { $in: ids } }).lean<OrganizationDoc[]>().exec()),
    membersByOrganization: groupLoader((ids) => m.User.find({ organizationId: { $in: ids } }).sort({ _id: 1 }).lean<UserDoc[]>().exec(), (u) => u.organizationId),
    apiClient: byIdLoader((ids) => m.ApiClient.find({ _id: { $in: ids } }).lean<ApiClientDoc[]>().exec()),
  };
}
