# One image for every part: the gateway and the four subgraphs differ only by command.
#
# Build stage: every dependency (patch-package applies patches/ on postinstall, the TypeScript
# compiler compiles), `npm run build` compiles the product to dist/ and copies schema/*.graphql
# into it, then the development dependencies are removed again (no install scripts run, so the
# patched packages stay as they are).
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY patches ./patches
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY gateway ./gateway
COPY platform ./platform
COPY subgraphs ./subgraphs
COPY localdb ./localdb
COPY scripts ./scripts
COPY schema ./schema
RUN npm run build && npm prune --omit=dev --ignore-scripts --no-audit --no-fund

# Runtime stage: production dependencies and the compiled product only; Node.js runs it without a
# TypeScript loader. The gateway serves the supergraph compiled in with the image.
FROM node:20-bookworm-slim
ENV NODE_ENV=production
ENV SUPERGRAPH_PATH=/app/dist/schema/supergraph.graphql
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The embedded database's default directory (used only when MONGODB_URI is unset).
RUN mkdir .data && chown node:node .data
USER node
EXPOSE 4000 4001 4002 4003 4004
# Node runs the entry point directly (no npm, no shell), so SIGTERM from the container runtime
# reaches the process that shuts down gracefully (SHUTDOWN_GRACE_MS for in-flight requests, exit at
# the latest 3 s after). Run it with an init as PID 1 (`docker run --init`, compose `init: true`) so
# signals are forwarded and orphans reaped. Subgraphs: `node dist/subgraphs/main.js <name>`; seeding:
# `node dist/scripts/seed.js --only events --organizer <userId>`.
STOPSIGNAL SIGTERM
CMD ["node", "dist/gateway/main.js"]
