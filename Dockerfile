# One image for every part: the gateway and the four subgraphs differ only by command.
FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY gateway ./gateway
COPY subgraphs ./subgraphs
COPY schema ./schema
COPY localdb ./localdb
COPY scripts ./scripts
COPY tsconfig.json ./
USER node
EXPOSE 4000 4001 4002 4003 4004
# Node runs the entry point directly (no npm, no shell), so SIGTERM from the container runtime
# reaches the process that shuts down gracefully (SHUTDOWN_GRACE_MS for in-flight requests, exit at
# the latest 3 s after). Run it with an init as PID 1 (`docker run --init`, compose `init: true`) so
# signals are forwarded and orphans reaped. Subgraphs: `node --import tsx subgraphs/main.ts <name>`.
STOPSIGNAL SIGTERM
CMD ["node", "--import", "tsx", "gateway/main.ts"]
