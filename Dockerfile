# One image for the api, the worker and the migrate step of docker-compose.yml (the command picks the role).
FROM node:20-bookworm-slim

WORKDIR /app
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    NPM_CONFIG_UPDATE_NOTIFIER=false

# Dependencies first, so a code change does not reinstall them. tsx runs the TypeScript sources directly.
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

COPY . .
# Production workers load this prebuilt bundle (dist/workflow-bundle.js) instead of bundling at start.
RUN npm run build:workflows

USER node
EXPOSE 3000
# tsx is node's own loader here (no wrapper process), so SIGTERM from `docker stop` reaches main() and drains.
CMD ["node", "--import", "tsx", "api/main.ts"]
