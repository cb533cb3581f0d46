# One image for the API (the default command), the worker (`node dist/workers/main.js`) and migrations
# (`node dist/db/migrate.js`): compiled JavaScript on the production Node LTS, the version scripts/node-lts.ts pins.
# Pinned by exact version tag; add the digest (`node:<tag>@sha256:...`) where a registry can be reached to read it.

# deps: every dependency, development ones included (tsc, tsx and the workflow bundler run in the build stage).
FROM node:26.12.1-trixie-slim AS deps
WORKDIR /app
ENV NPM_CONFIG_UPDATE_NOTIFIER=false
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund

# build: dist/ with the compiled entry points, the SQL migrations and the prebuilt workflow bundle (make build).
FROM deps AS build
COPY . .
RUN npm run build

# runtime: production dependencies only. --omit=optional also leaves out PGlite (npm would keep it as drizzle-orm's
# optional peer) and the swc binaries, which only bundle workflows at start; the prebuilt bundle replaces that.
FROM node:26.12.1-trixie-slim AS runtime
WORKDIR /app
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    NPM_CONFIG_UPDATE_NOTIFIER=false
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev --omit=optional --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
USER node
EXPOSE 3000
# node is the container's first process and handles SIGTERM itself: `docker stop` drains, then exits.
CMD ["node", "dist/api/main.js"]
