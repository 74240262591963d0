/**
 * A subgraph as most teams run one: a stock Apollo Server (`@apollo/server` defaults, so batched
 * HTTP requests are refused with 400 "Operation batching disabled.") over `@apollo/subgraph`, on a
 * plain Node http server with its default keep-alive timeout (5 s) unless told otherwise. It
 * records every HTTP request it receives, so tests can count batch attempts and single requests.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer, HeaderMap, type ApolloServerOptions } from '@apollo/server';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import type { DocumentNode } from 'graphql';

/** One HTTP request the subgraph received. */
export interface StockRequest {
  /** The body was a JSON array (a batch). */
  batch: boolean;
  status: number;
  /** The start of the answer's body. */
  answer: string;
}

export interface StockSubgraph {
  url: string;
  httpServer: Server;
  /** Every HTTP request received, in order. */
  requests: StockRequest[];
  stop(): Promise<void>;
}

export interface StockSubgraphOptions {
  typeDefs: DocumentNode;
  resolvers: Record<string, unknown>;
  /** The http server's keep-alive timeout; Node's default (5000) when absent. */
  keepAliveTimeout?: number;
  /** Extra Apollo Server options (the defaults stay otherwise). */
  apollo?: Partial<ApolloServerOptions<Record<string, never>>>;
}

/** Starts a stock Apollo Server subgraph on a free loopback port. */
export async function startStockSubgraph({ typeDefs, resolvers, keepAliveTimeout, apollo: extra = {} }: StockSubgraphOptions): Promise<StockSubgraph> {
  const schema = buildSubgraphSchema([{ typeDefs, resolvers: resolvers as GraphQLResolverMap }]);
  // Apollo's defaults, with its console logger silenced.
  const logger = { debug() {}, info() {}, warn() {}, error() {} };
  const apollo = new ApolloServer<Record<string, never>>({ schema, logger, ...extra } as ApolloServerOptions<Record<string, never>>);
  await apollo.start();
  const requests: StockRequest[] = [];

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const record: StockRequest = { batch: text.trimStart().startsWith('['), status: 0, answer: '' };
    requests.push(record);
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      record.status = 400;
      res.writeHead(400, { 'content-type': 'text/plain' }).end('bad JSON');
      return;
    }
    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
    }
    const answer = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: (req.method ?? 'GET').toUpperCase(), headers, search: new URL(req.url ?? '/', 'http://localhost').search, body },
      context: () => Promise.resolve({}),
    });
    for (const [key, value] of answer.headers) res.setHeader(key, value);
    res.statusCode = answer.status ?? 200;
    record.status = res.statusCode;
    if (answer.body.kind === 'complete') {
      record.answer = answer.body.string.slice(0, 300);
      res.end(answer.body.string);
      return;
    }
    for await (const chunk of answer.body.asyncIterator) res.write(chunk);
    res.end();
  };
  // A request that fails midway ends its connection instead of leaving the client waiting.
  const httpServer = createServer((req, res) => void handle(req, res).catch(() => res.destroy()));
  if (keepAliveTimeout !== undefined) httpServer.keepAliveTimeout = keepAliveTimeout;
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  const { port } = httpServer.address() as AddressInfo;
  let stopping: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    httpServer,
    requests,
    stop() {
      stopping ??= (async () => {
        httpServer.closeAllConnections();
        await new Promise<void>((r) => httpServer.close(() => r()));
        await apollo.stop();
      })();
      return stopping;
    },
  };
}
