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
CMD ["npm", "run", "gateway"]
