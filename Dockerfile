# The opareta-dr worker image, used by temporal-compose.yml.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY shared ./shared
COPY activities ./activities
COPY workflows ./workflows
COPY worker ./worker
COPY config ./config
# Root, because the worker drives the host's Docker through its socket and reads the host's backups.
CMD ["node_modules/.bin/tsx", "worker/main.ts"]
