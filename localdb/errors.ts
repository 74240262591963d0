import type { Document } from 'bson';

/** MongoDB error code names for the codes localdb produces. */
const CODE_NAMES: Record<number, string> = {
  1: 'InternalError',
  2: 'BadValue',
  9: 'FailedToParse',
  11: 'UserNotFound',
  14: 'TypeMismatch',
  20: 'IllegalOperation',
  13: 'Unauthorized',
  26: 'NamespaceNotFound',
  27: 'IndexNotFound',
  28: 'PathNotViable',
  43: 'CursorNotFound',
  48: 'NamespaceExists',
  50: 'MaxTimeMSExpired',
  52: 'DollarPrefixedFieldName',
  59: 'CommandNotFound',
  66: 'ImmutableField',
  67: 'CannotCreateIndex',
  73: 'InvalidNamespace',
  72: 'InvalidOptions',
  85: 'IndexOptionsConflict',
  86: 'IndexKeySpecsConflict',
  112: 'WriteConflict',
  115: 'CommandNotSupported',
  125: 'CommandFailed',
  197: 'InvalidIndexSpecificationOption',
  251: 'NoSuchTransaction',
  256: 'TransactionCommitted',
  263: 'OperationNotSupportedInTransaction',
  10334: 'BSONObjectTooLarge',
  11000: 'DuplicateKey',
};

/** An error that is reported to the client as `{ ok: 0, errmsg, code, codeName }`. */
export class CommandError extends Error {
  readonly code: number;
  readonly codeName: string;
  readonly extra: Document;
  readonly errorLabels: string[];

  constructor(code: number, message: string, extra: Document = {}, errorLabels: string[] = []) {
    super(message);
    this.code = code;
    this.codeName = CODE_NAMES[code] ?? `Location${code}`;
    this.extra = extra;
    this.errorLabels = errorLabels;
  }

  /** The wire shape of this error as a command reply. */
  toReply(): Document {
    const reply: Document = { ok: 0, errmsg: this.message, code: this.code, codeName: this.codeName, ...this.extra };
    if (this.errorLabels.length > 0) reply.errorLabels = this.errorLabels;
    return reply;
  }

  /** The wire shape of this error inside a `writeErrors` array. */
  toWriteError(index: number): Document {
    return { index, code: this.code, errmsg: this.message, ...this.extra };
  }
}

/** Shorthand for a `BadValue` (code 2) error. */
export function badValue(message: string): CommandError {
  return new CommandError(2, message);
}

/** Shorthand for a `CommandNotSupported` (code 115) error. */
export function notSupported(what: string): CommandError {
  return new CommandError(115, `${what} is not supported by localdb`);
}

/** Shorthand for a `TypeMismatch` (code 14) error about a command field. */
export function typeMismatch(field: string, expected: string): CommandError {
  return new CommandError(14, `BSON field '${field}' is the wrong type, expected type '${expected}'`);
}

/** Converts anything thrown while handling a command into a CommandError. */
export function toCommandError(err: unknown): CommandError {
  if (err instanceof CommandError) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof Error && err.constructor.name === 'MingoError') {
    if (/immutable field/.test(message)) return new CommandError(66, message);
    return new CommandError(2, message);
  }
  return new CommandError(1, message);
}
