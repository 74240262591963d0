/**
 * Supergraph preparation. Subgraphs declare access rules with Federation's `@authenticated` and
 * `@requiresScopes`; composition carries them into the supergraph under `@link`s `for: SECURITY`,
 * which @apollo/gateway refuses (UNSUPPORTED_LINKED_FEATURE). `prepareSupergraph` reads the rules
 * per schema coordinate, then hands back a copy without those links, directive definitions and
 * usages (which the gateway accepts), with each rule written into the field or type description
 * so partners see it in introspection.
 */
import { createHash } from 'node:crypto';
import { Kind, parse, print, visit, type ConstDirectiveNode, type DocumentNode, type ConstValueNode, type StringValueNode } from 'graphql';
import { DEFAULT_SUPPORTED_SUPERGRAPH_FEATURES, Supergraph } from '@apollo/federation-internals';
import { describeRequirement, mergeRequirements, type AccessRequirement } from './access.js';
import { subgraphEnvName } from './config.js';

/** A subgraph of the supergraph and the URL the gateway reaches it at. */
export interface SubgraphEndpoint {
  name: string;
  url: string;
}

/** A supergraph ready to serve (see `prepareSupergraph`). */
export interface PreparedSupergraph {
  /** The supergraph @apollo/gateway is given: security features removed, rules in descriptions. */
  gatewaySdl: string;
  /** Access rule per coordinate: `Type.field` for fields, `Type` for types. */
  rules: Map<string, AccessRequirement>;
  /** Subgraphs and the URLs the gateway calls (after overrides). */
  subgraphs: SubgraphEndpoint[];
  /** sha256 of the supergraph text as given. */
  hash: string;
}

/** Options of `prepareSupergraph`. */
export interface PrepareOptions {
  /** URL overrides keyed by subgraph name or its env form (`EVENTS`). */
  subgraphUrls?: Record<string, string>;
}

/** A supergraph that cannot be served; the message says why. */
export class SupergraphError extends Error {}

const SPEC_RE = /^https:\/\/specs\.apollo\.dev\/([A-Za-z_][A-Za-z0-9_]*)\/v(\d+\.\d+)$/;
/** `@inaccessible` and `@tag` are SECURITY features @apollo/gateway applies itself. */
const GATEWAY_SUPPORTED: ReadonlySet<string> = DEFAULT_SUPPORTED_SUPERGRAPH_FEATURES;
/** Security features this gateway enforces itself (the rest are refused: they cannot be enforced). */
const ENFORCED = new Set(['authenticated', 'requiresScopes']);

interface LinkedFeature {
  node: ConstDirectiveNode;
  url: string;
  spec: string;
  purpose?: string;
  /** Local name of the feature (its `as:`, or the spec name). */
  localName: string;
  /** Imported element (`@authenticated`, `Scope`) → local name. */
  imports: Map<string, string>;
}

function stringArg(d: ConstDirectiveNode, name: string): string | undefined {
  const arg = d.arguments?.find((a) => a.name.value === name);
  if (!arg) return undefined;
  if (arg.value.kind === Kind.STRING || arg.value.kind === Kind.ENUM) return arg.value.value;
  return undefined;
}

function readImports(d: ConstDirectiveNode): Map<string, string> {
  const out = new Map<string, string>();
  const arg = d.arguments?.find((a) => a.name.value === 'import');
  if (!arg || arg.value.kind !== Kind.LIST) return out;
  for (const item of arg.value.values) {
    if (item.kind === Kind.STRING) out.set(item.value, item.value);
    else if (item.kind === Kind.OBJECT) {
      const name = item.fields.find((f) => f.name.value === 'name')?.value;
      const as = item.fields.find((f) => f.name.value === 'as')?.value;
      if (name?.kind === Kind.STRING) out.set(name.value, as?.kind === Kind.STRING ? as.value : name.value);
    }
  }
  return out;
}

function linkedFeatures(doc: DocumentNode): LinkedFeature[] {
  const out: LinkedFeature[] = [];
  for (const def of doc.definitions) {
    if (def.kind !== Kind.SCHEMA_DEFINITION && def.kind !== Kind.SCHEMA_EXTENSION) continue;
    for (const d of def.directives ?? []) {
      const url = stringArg(d, 'url') ?? stringArg(d, 'feature');
      const m = url ? SPEC_RE.exec(url) : null;
      const spec = m?.[1];
      if (!m || spec === undefined) continue;
      out.push({ node: d, url: m[0], spec, purpose: stringArg(d, 'for'), localName: (stringArg(d, 'as') ?? spec).replace(/^@/, ''), imports: readImports(d) });
    }
  }
  return out;
}

/** The local name under which a feature's main directive is used in the document. */
function directiveName(f: LinkedFeature): string {
  return (f.imports.get(`@${f.spec}`) ?? `@${f.localName}`).replace(/^@/, '');
}

function scopesOf(d: ConstDirectiveNode, where: string): string[][] {
  const arg = d.arguments?.find((a) => a.name.value === 'scopes');
  const fail = () => new SupergraphError(`@requiresScopes on ${where} must have scopes: [[String!]!]!`);
  if (!arg || arg.value.kind !== Kind.LIST) throw fail();
  return arg.value.values.map((alt: ConstValueNode) => {
    if (alt.kind !== Kind.LIST) throw fail();
    return alt.values.map((s) => {
      if (s.kind !== Kind.STRING) throw fail();
      return s.value;
    });
  });
}

function withRequirementInDescription(description: StringValueNode | undefined, req: AccessRequirement): StringValueNode | undefined {
  const line = describeRequirement(req);
  if (!line) return description;
  const current = description?.value ?? '';
  if (current.includes(line)) return description;
  const value = current ? `${current}\n\n${line}` : line;
  return { kind: Kind.STRING, value, block: value.includes('\n') };
}

function applyUrlOverrides(doc: DocumentNode, features: LinkedFeature[], overrides: Record<string, string>): { doc: DocumentNode; subgraphs: SubgraphEndpoint[] } {
  const join = features.find((f) => f.spec === 'join');
  if (!join) throw new SupergraphError('not a supergraph: it does not link the join spec (compose the subgraphs first)');
  const enumName = join.imports.get('Graph') ?? `${join.localName}__Graph`;
  const graphDirective = (join.imports.get('@graph') ?? `@${join.localName}__graph`).slice(1);
  const byEnv = new Map(Object.entries(overrides).map(([k, v]) => [subgraphEnvName(k), v]));
  const subgraphs: SubgraphEndpoint[] = [];
  const out = visit(doc, {
    EnumTypeDefinition(node) {
      if (node.name.value !== enumName) return undefined;
      return {
        ...node,
        values: node.values?.map((value) => ({
          ...value,
          directives: value.directives?.map((d) => {
            if (d.name.value !== graphDirective) return d;
            const name = stringArg(d, 'name') ?? value.name.value.toLowerCase();
            const url = byEnv.get(subgraphEnvName(name)) ?? stringArg(d, 'url') ?? '';
            subgraphs.push({ name, url });
            const args = (d.arguments ?? []).map((a) => (a.name.value === 'url' ? { ...a, value: { kind: Kind.STRING, value: url } as const } : a));
            return { ...d, arguments: args };
          }),
        })),
      };
    },
  });
  if (subgraphs.length === 0) throw new SupergraphError(`not a supergraph: enum ${enumName} lists no subgraphs`);
  return { doc: out, subgraphs };
}

/**
 * Reads the access rules of a composed supergraph and returns what @apollo/gateway can serve.
 * Throws SupergraphError for a document that is not a valid supergraph, or that links a security
 * feature this gateway cannot enforce (e.g. `@policy`).
 */
export function prepareSupergraph(sdl: string, opts: PrepareOptions = {}): PreparedSupergraph {
  let doc: DocumentNode;
  try {
    doc = parse(sdl);
  } catch (err) {
    throw new SupergraphError(`the supergraph does not parse: ${err instanceof Error ? err.message : String(err)}`);
  }
  const features = linkedFeatures(doc);
  for (const f of features) {
    if (f.purpose === 'SECURITY' && !ENFORCED.has(f.spec) && !GATEWAY_SUPPORTED.has(f.url)) {
      throw new SupergraphError(`the supergraph links https://specs.apollo.dev/${f.spec} for SECURITY, which this gateway cannot enforce`);
    }
  }
  const security = features.filter((f) => ENFORCED.has(f.spec));
  const authName = security.find((f) => f.spec === 'authenticated');
  const scopesName = security.find((f) => f.spec === 'requiresScopes');
  const authDirective = authName ? directiveName(authName) : undefined;
  const scopesDirective = scopesName ? directiveName(scopesName) : undefined;
  const removedDirectives = new Set([authDirective, scopesDirective].filter((n): n is string => n !== undefined));
  const removedLinks = new Set(security.map((f) => f.node));
  const removedTypes = new Set<string>();
  const removedPrefixes = security.map((f) => `${f.localName}__`);
  for (const f of security) for (const [el, local] of f.imports) if (!el.startsWith('@')) removedTypes.add(local);

  const rules = new Map<string, AccessRequirement>();
  const requirementOf = (directives: readonly ConstDirectiveNode[] | undefined, where: string): AccessRequirement | undefined => {
    let req: AccessRequirement | undefined;
    for (const d of directives ?? []) {
      if (d.name.value === authDirective) req = mergeRequirements(req, { authenticated: true, scopes: null });
      else if (d.name.value === scopesDirective) req = mergeRequirements(req, { authenticated: false, scopes: scopesOf(d, where) });
    }
    if (req) rules.set(where, mergeRequirements(rules.get(where), req));
    return req;
  };
  const withoutSecurity = (directives: readonly ConstDirectiveNode[] | undefined) => directives?.filter((d) => !removedDirectives.has(d.name.value));

  const typeVisitor = <T extends { name: { value: string }; description?: StringValueNode; directives?: readonly ConstDirectiveNode[]; fields?: readonly { name: { value: string }; description?: StringValueNode; directives?: readonly ConstDirectiveNode[] }[] }>(node: T): T | null => {
    const typeName = node.name.value;
    if (removedTypes.has(typeName) || removedPrefixes.some((p) => typeName.startsWith(p))) return null;
    const typeReq = requirementOf(node.directives, typeName);
    const fields = node.fields?.map((field) => {
      const req = requirementOf(field.directives, `${typeName}.${field.name.value}`);
      return { ...field, directives: withoutSecurity(field.directives), description: req ? withRequirementInDescription(field.description, req) : field.description };
    });
    return { ...node, directives: withoutSecurity(node.directives), description: typeReq ? withRequirementInDescription(node.description, typeReq) : node.description, ...(fields ? { fields } : {}) };
  };
  const typeDefinitionOnly = <T extends { name: { value: string }; directives?: readonly ConstDirectiveNode[] }>(node: T): T | null => {
    if (removedTypes.has(node.name.value) || removedPrefixes.some((p) => node.name.value.startsWith(p))) return null;
    return node;
  };

  const stripped = visit(doc, {
    SchemaDefinition: (node) => ({ ...node, directives: node.directives?.filter((d) => !removedLinks.has(d)) }),
    SchemaExtension: (node) => ({ ...node, directives: node.directives?.filter((d) => !removedLinks.has(d)) }),
    DirectiveDefinition: (node) => (removedDirectives.has(node.name.value) ? null : undefined),
    ObjectTypeDefinition: typeVisitor,
    ObjectTypeExtension: typeVisitor,
    InterfaceTypeDefinition: typeVisitor,
    InterfaceTypeExtension: typeVisitor,
    ScalarTypeDefinition: typeVisitor,
    EnumTypeDefinition: typeVisitor,
    UnionTypeDefinition: typeDefinitionOnly,
    InputObjectTypeDefinition: typeDefinitionOnly,
  });
  const { doc: finalDoc, subgraphs } = applyUrlOverrides(stripped, features, opts.subgraphUrls ?? {});
  const gatewaySdl = print(finalDoc);
  try {
    Supergraph.build(gatewaySdl, { validateSupergraph: true }).apiSchema();
  } catch (err) {
    throw new SupergraphError(`the gateway cannot serve this supergraph: ${err instanceof Error ? err.message : String(err)}`);
  }
  return { gatewaySdl, rules, subgraphs, hash: createHash('sha256').update(sdl).digest('hex') };
}
