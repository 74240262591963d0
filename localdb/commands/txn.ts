import type { Handler } from '../context.js';
import { CommandError } from '../errors.js';

const commitTransaction: Handler = (ctx) => {
  const txn = ctx.txn;
  if (!txn) throw new CommandError(251, 'no transaction in progress', {}, ['TransientTransactionError']);
  if (txn.state === 'aborted') throw new CommandError(251, `Transaction with { txnNumber: ${txn.txnNumber} } has been aborted.`, {}, ['TransientTransactionError']);
  ctx.state.txns.commit(txn, ctx.ops);
  return { ok: 1 };
};

const abortTransaction: Handler = (ctx) => {
  const txn = ctx.txn;
  if (!txn || txn.state === 'aborted') throw new CommandError(251, 'no transaction in progress', {}, ['TransientTransactionError']);
  if (txn.state === 'committed') throw new CommandError(256, 'Transaction has been committed; cannot abort.');
  ctx.state.txns.abort(txn);
  return { ok: 1 };
};

/** Transaction control commands. */
export const txnCommands: Record<string, Handler> = { commitTransaction, abortTransaction };
