/**
 * Access requirements as declared in subgraph SDL with `@authenticated` and `@requiresScopes`.
 * `scopes` follows `@requiresScopes`: a list of alternatives, each a list of scopes that must all
 * be held (`[["a", "b"], ["admin"]]` = (a and b) or admin).
 */

/** The access rule of one schema coordinate, as `@authenticated` and `@requiresScopes` declare it. */
export interface AccessRequirement {
  /** The caller must be authenticated. */
  authenticated: boolean;
  /** Alternatives of scope sets; null when no scope is required. */
  scopes: string[][] | null;
}

function uniqueSorted(list: string[]): string[] {
  return [...new Set(list)].sort();
}

/** Both requirements at once (used when one coordinate carries several directives). */
export function mergeRequirements(a: AccessRequirement | undefined, b: AccessRequirement): AccessRequirement {
  if (!a) return { authenticated: b.authenticated, scopes: b.scopes?.map(uniqueSorted) ?? null };
  let scopes: string[][] | null;
  if (!a.scopes) scopes = b.scopes;
  else if (!b.scopes) scopes = a.scopes;
  else scopes = a.scopes.flatMap((x) => b.scopes!.map((y) => uniqueSorted([...x, ...y])));
  const seen = new Set<string>();
  const deduped = scopes?.map(uniqueSorted).filter((alt) => {
    const key = alt.join('\u0000');
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return { authenticated: a.authenticated || b.authenticated, scopes: deduped ?? null };
}

/**
 * The sentence shown to partners in the schema documentation, e.g.
 * `Requires scopes: events:write or admin.` / `Requires authentication.`
 */
export function describeRequirement(req: AccessRequirement): string | undefined {
  if (req.scopes && req.scopes.length > 0) {
    const alternatives = req.scopes.map((alt) => (alt.length > 1 && req.scopes!.length > 1 ? `(${alt.join(' and ')})` : alt.join(' and ')));
    return `Requires scopes: ${alternatives.join(' or ')}.`;
  }
  if (req.authenticated) return 'Requires authentication.';
  return undefined;
}
