/**
 * Connector settings: kind-specific validation of `config` and `mapping`, and redaction of secret
 * values before a config leaves the service.
 */
import { badInput } from '../../platform/errors.js';
import { assertSafeJson, isPlainObject, requireOutboundUrl, requireString } from '../kit/input.js';
import type { ConnectorKind } from './models.js';

const REDACTED = '[REDACTED]';
const SECRET_KEY = /secret|token|password|passwd|api[-_]?key|private[-_]?key|credential|authorization/i;

/** True for a config key whose value must never be returned. */
function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

/** A copy of `value` with every secret-named key's value replaced by `[REDACTED]`. */
export function redact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redact);
  if (!isPlainObject(value)) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, isSecretKey(k) && v !== null && v !== undefined ? REDACTED : redact(v)]));
}

/**
 * Puts stored secrets back where an update sends `[REDACTED]` unchanged (a client that read the
 * redacted config and edits one field keeps the secrets it never saw).
 */
export function restoreRedacted(incoming: unknown, stored: unknown): unknown {
  if (incoming === REDACTED) return stored;
  if (Array.isArray(incoming)) return incoming.map((v, i) => restoreRedacted(v, Array.isArray(stored) ? stored[i] : undefined));
  if (!isPlainObject(incoming)) return incoming;
  const prev = isPlainObject(stored) ? stored : {};
  return Object.fromEntries(Object.entries(incoming).map(([k, v]) => [k, restoreRedacted(v, prev[k])]));
}

/** Checks a config for its connector kind; answers it unchanged (URLs normalised). */
export function validateConfig(kind: ConnectorKind, config: unknown, target = 'input.config'): Record<string, unknown> {
  if (!isPlainObject(config)) throw badInput(target, 'must be a JSON object');
  assertSafeJson(config, target);
  const out: Record<string, unknown> = { ...config };
  switch (kind) {
    case 'GOOGLE_CALENDAR':
      out.calendarId = requireString(config.calendarId, `${target}.calendarId`, { max: 1024 });
      break;
    case 'WEBHOOK':
      out.url = requireOutboundUrl(config.url, `${target}.url`);
      break;
    case 'REST':
      out.baseUrl = requireOutboundUrl(config.baseUrl, `${target}.baseUrl`);
      break;
  }
  return out;
}

/** Checks a REST field mapping: a non-empty object of target field → source path strings. */
export function validateMapping(kind: ConnectorKind, mapping: unknown, target = 'input.mapping'): Record<string, string> | null {
  if (kind !== 'REST') {
    if (mapping === undefined || mapping === null) return null;
    throw badInput(target, 'only REST connectors take a mapping');
  }
  if (!isPlainObject(mapping) || Object.keys(mapping).length === 0) throw badInput(target, 'REST connectors need a mapping object (target field → source path)');
  assertSafeJson(mapping, target, { maxDepth: 1 });
  for (const [k, v] of Object.entries(mapping)) {
    if (typeof v !== 'string' || v.trim() === '' || v.length > 200) throw badInput(`${target}.${k}`, 'must be a source path string');
  }
  return mapping as Record<string, string>;
}
