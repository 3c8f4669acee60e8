# The opareta-dr worker image, used by temporal-compose.yml: built in one stage (tsc + the workflow bundle,
# `npm run build`), run in another with production dependencies only: plain node, no tsx, no webpack at start.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/build.sh ./scripts/build.sh
COPY shared ./shared
COPY activities ./activities
COPY workflows ./workflows
COPY worker ./worker
COPY client ./client
COPY sandbox ./sandbox
RUN bash scripts/build.sh

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY --from=build /app/dist ./dist
COPY bin ./bin
COPY config ./config
# Root, because the worker drives the host's Docker through its socket and reads the host's backups.
CMD ["node", "dist/worker/main.js"]
