/**
 * `useSafelist`: only the operations of the published apps run (`SAFELIST_PATH`, see
 * `gateway/limits/safelist.ts` for the manifest). A request names a listed operation by its text or
 * by a persisted-query id; one named by id runs the listed text (put into the request before it is
 * parsed, so Apollo Server runs it too). Anything else is refused with PERSISTED_QUERY_NOT_ALLOWED
 * before it runs: an unknown id at once, an unlisted text once parsed (a listed operation
 * reformatted still matches by its normalised print).
 */
import { createHash } from 'node:crypto';
import { appError } from '../../platform/errors.js';
import type { Safelist } from '../limits/safelist.js';
import { persistedHash, type GraphQLParams } from '../operation.js';
import type { GatewayExtension, OperationAdmission } from '../types.js';

/** Options of `useSafelist`. */
export interface SafelistOptions {
  safelist: Safelist;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * Puts a safelisted body into a request that named it by id, so the listed text runs; a
 * persisted-query hash that is not the text's sha256 (a manifest id) is dropped with it.
 */
function substituteText(params: GraphQLParams, text: string): void {
  params.query = text;
  const hash = persistedHash(params.extensions);
  if (hash !== undefined && hash !== sha256(text)) {
    const { persistedQuery: _dropped, ...rest } = params.extensions as Record<string, unknown>;
    params.extensions = rest;
  }
}

/** Creates the plugin. A batched body is not its concern (the rate limits refuse it). */
export function useSafelist({ safelist }: SafelistOptions): GatewayExtension {
  /** Admissions whose text is on the list as sent or by id (no need to compare the parsed document). */
  const listed = new WeakSet<OperationAdmission>();
  return {
    name: 'safelist',
    onParams(admission) {
      const { params } = admission;
      if (Array.isArray(params)) return;
      const request = params as GraphQLParams;
      const found = safelist.resolve(request);
      if (found.listed) listed.add(admission);
      if (request.query === undefined) substituteText(request, found.text);
    },
    onOperation(admission) {
      const document = admission.operation?.document;
      if (listed.has(admission) || !document || safelist.allowsDocument(document)) return;
      throw appError('PERSISTED_QUERY_NOT_ALLOWED', 'The operation is not on the safelist', { details: 'Only the operations of the published apps may run here' });
    },
  };
}
