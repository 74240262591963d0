/**
 * Structured JSON logs (pino). One logger per process part, child loggers per request.
 *
 * Lines go to a {@link LogSink}: an asynchronous writer on a file descriptor (stdout by default)
 * that never blocks the event loop, never throws and never keeps a stopping process alive. A sink
 * whose reader has gone (EPIPE, a closed descriptor) stops writing and drops further lines; a
 * reader that does not read makes the sink retry later, dropping lines beyond a bounded buffer.
 */
import { write as fsWrite } from 'node:fs';
import { pino, type Logger } from 'pino';

export type { Logger };

/** Where log lines go. pino writes to it; `logger.flush(cb)` reaches its `flush`. */
export interface LogSink {
  /** Queues one chunk (one or more whole lines); never throws, never blocks. */
  write(chunk: string): boolean;
  /** Calls back once everything queued so far is written, or at once when the sink is broken. */
  flush(cb?: (err?: Error) => void): void;
  /** True once the descriptor refused a write for good (reader gone); later lines are dropped. */
  readonly broken: boolean;
  /** Lines dropped because the buffer was full or the sink broken. */
  readonly dropped: number;
}

export interface LogSinkOptions {
  /** File descriptor written to (default 1, stdout). */
  fd?: number;
  /** About how many bytes are held while the reader is slow; chunks beyond are dropped and counted (default 4 MiB). */
  maxBufferedBytes?: number;
  /** Largest single write (default 64 KiB). */
  maxWriteBytes?: number;
  /** Wait before trying again when the descriptor is full (EAGAIN; default 50 ms). */
  retryMs?: number;
}

/** Creates an asynchronous, non-blocking sink on a file descriptor. */
export function createLogSink(opts: LogSinkOptions = {}): LogSink {
  const { fd = 1, maxBufferedBytes = 4 << 20, maxWriteBytes = 64 << 10, retryMs = 50 } = opts;
  // Opening Node's own stdout/stderr handle puts a pipe or terminal descriptor in non-blocking mode:
  // a write to a reader that does not read then answers EAGAIN (retried later) instead of blocking
  // a thread of the pool, which would also keep process.exit() from returning.
  if (fd === 1) void process.stdout.fd;
  else if (fd === 2) void process.stderr.fd;
  const queue: string[] = [];
  const waiters: Array<(err?: Error) => void> = [];
  let queuedBytes = 0;
  let writing = false;
  let broken = false;
  let dropped = 0;
  let droppedSinceNotice = 0;

  const settle = (): void => {
    for (const cb of waiters.splice(0)) cb();
  };

  const takeChunk = (): Buffer => {
    const parts: string[] = [];
    let bytes = 0;
    // The first queued line always goes, however long; the ones after it while they fit.
    for (let next = queue[0]; next !== undefined && (parts.length === 0 || bytes + next.length <= maxWriteBytes); next = queue[0]) {
      queue.shift();
      parts.push(next);
      bytes += next.length;
    }
    queuedBytes -= bytes;
    return Buffer.from(parts.join(''));
  };

  const pump = (): void => {
    if (broken) return;
    if (queue.length === 0 && droppedSinceNotice > 0) {
      queue.push(`${JSON.stringify({ level: 40, time: new Date().toISOString(), msg: 'log lines dropped: the log reader was too slow', dropped: droppedSinceNotice })}\n`);
      droppedSinceNotice = 0;
    }
    if (queue.length === 0) {
      writing = false;
      settle();
      return;
    }
    writing = true;
    send(takeChunk());
  };

  const send = (buf: Buffer): void => {
    fsWrite(fd, buf, 0, buf.length, null, (err, written) => {
      if (err) {
        if (err.code === 'EAGAIN' || err.code === 'EWOULDBLOCK' || err.code === 'EINTR') {
          setTimeout(() => send(buf), retryMs).unref();
          return;
        }
        broken = true;
        writing = false;
        dropped += queue.length + 1;
        queue.length = 0;
        queuedBytes = 0;
        settle();
        return;
      }
      if (written < buf.length) send(buf.subarray(written));
      else pump();
    });
  };

  return {
    write(chunk: string): boolean {
      if (broken || queuedBytes + chunk.length > maxBufferedBytes) {
        dropped++;
        if (!broken) droppedSinceNotice++;
        return true;
      }
      queue.push(chunk);
      queuedBytes += chunk.length;
      if (!writing) pump();
      return true;
    },
    flush(cb?: (err?: Error) => void): void {
      if (!cb) return;
      if (broken || (!writing && queue.length === 0)) cb();
      else waiters.push(cb);
    },
    get broken() {
      return broken;
    },
    get dropped() {
      return dropped;
    },
  };
}

export interface CreateLoggerOptions {
  /** Where the lines go (default: a new sink on stdout). */
  sink?: LogSink;
}

/** Creates a JSON logger named after the process part (`gateway`, `events`, …). */
export function createLogger(name: string, level: string = 'info', opts: CreateLoggerOptions = {}): Logger {
  const sink = opts.sink ?? createLogSink();
  return pino({ name, level, base: { svc: name }, timestamp: pino.stdTimeFunctions.isoTime }, sink);
}

/**
 * Waits until the logger's sink has written what it holds, at most `timeoutMs`. Answers false
 * when lines were still queued at the deadline (the reader is slow or stuck).
 */
export function flushLogger(logger: Logger, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), Math.max(0, timeoutMs));
    try {
      logger.flush(() => {
        clearTimeout(timer);
        resolve(true);
      });
    } catch {
      clearTimeout(timer);
      resolve(false);
    }
  });
}
