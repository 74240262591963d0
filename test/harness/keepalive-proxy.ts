/**
 * A TCP proxy in front of a subgraph that plays a server whose keep-alive timer fires just as a
 * request arrives on an idle connection: the request is dropped unanswered and the connection
 * closed, alternately with a FIN (the client sees "socket hang up") and a RST (ECONNRESET).
 *
 * `expire: 'reused'` drops every request that arrives on a connection which has carried an answer
 * already (deterministic, for tests); `expire: { idleMs }` drops those arriving after the
 * connection idled at least `idleMs` since its last answer (a server or load balancer with that
 * idle timeout that does not announce it). The first request of a connection always goes through.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface KeepAliveProxyOptions {
  /** The subgraph's URL (`http://host:port/path`). */
  target: string;
  expire: 'reused' | { idleMs: number };
}

export interface KeepAliveProxyStats {
  /** Client connections accepted. */
  connections: number;
  /** Requests passed to the subgraph. */
  forwarded: number;
  /** Requests dropped as their connection expired, with the first bytes of each. */
  dropped: string[];
}

export interface KeepAliveProxy {
  /** The target URL with the proxy's host and port. */
  url: string;
  stats: KeepAliveProxyStats;
  stop(): Promise<void>;
}

/** Starts the proxy on a free loopback port. */
export async function startKeepAliveProxy({ target, expire }: KeepAliveProxyOptions): Promise<KeepAliveProxy> {
  const upstreamUrl = new URL(target);
  const stats: KeepAliveProxyStats = { connections: 0, forwarded: 0, dropped: [] };
  const sockets = new Set<Socket>();
  const track = (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  };

  const server: Server = createServer((client) => {
    stats.connections++;
    track(client);
    const upstream = connect(Number(upstreamUrl.port), upstreamUrl.hostname);
    track(upstream);
    /** The connection carried an answer; the next client bytes start a new request. */
    let answeredAt: number | undefined;
    let awaitingRequest = true;
    upstream.on('data', (chunk: Buffer) => {
      answeredAt = Date.now();
      awaitingRequest = true;
      client.write(chunk);
    });
    client.on('data', (chunk: Buffer) => {
      if (awaitingRequest) {
        awaitingRequest = false;
        const expired = answeredAt !== undefined && (expire === 'reused' || Date.now() - answeredAt >= expire.idleMs);
        if (expired) {
          stats.dropped.push(chunk.subarray(0, 2_000).toString('latin1'));
          upstream.destroy();
          if (stats.dropped.length % 2 === 1) client.resetAndDestroy();
          else client.destroy();
          return;
        }
        stats.forwarded++;
      }
      upstream.write(chunk);
    });
    upstream.on('end', () => client.end());
    client.on('end', () => upstream.end());
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.on('close', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = new URL(target);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  let stopping: Promise<void> | undefined;
  return {
    url: url.toString(),
    stats,
    stop() {
      stopping ??= new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      });
      return stopping;
    },
  };
}
