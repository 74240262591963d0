import type { Handler } from '../context.js';
import { adminCommands } from './admin.js';
import { aggregateCommands } from './aggregate.js';
import { ddlCommands } from './ddl.js';
import { explainCommands } from './explain.js';
import { modifyCommands } from './modify.js';
import { readCommands } from './read.js';
import { txnCommands } from './txn.js';
import { writeCommands } from './write.js';

/** Every command localdb implements, by name. */
export const COMMANDS: ReadonlyMap<string, Handler> = new Map(
  Object.entries({
    ...adminCommands,
    ...readCommands,
    ...writeCommands,
    ...modifyCommands,
    ...aggregateCommands,
    ...ddlCommands,
    ...txnCommands,
    ...explainCommands,
  }),
);

/** Commands allowed inside a multi-document transaction. */
export const TXN_COMMANDS: ReadonlySet<string> = new Set([
  'find', 'getMore', 'killCursors', 'insert', 'update', 'delete', 'findAndModify', 'findandmodify', 'aggregate', 'distinct',
  'commitTransaction', 'abortTransaction', 'create', 'createIndexes', 'hello', 'isMaster', 'ping', 'buildInfo',
]);
