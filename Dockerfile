# One image for both processes of a cluster: `api` (HTTP) and `worker` (jobs and schedules).
#   docker build -t hybridforms .
#   docker run … hybridforms api       /  docker run … hybridforms worker
# See deploy/compose.yaml for PostgreSQL + Redis + api ×2 + worker ×3.

FROM node:20-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 builds its native addon (npm allows its install script in package.json).
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY scripts scripts
COPY apps apps
COPY libs libs
COPY config config
# The API and worker, then the console's static files (dist/console) that the API serves.
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
# Playbook runs: Debian's ansible-runner and ansible-core (no PyPI needed), and an SSH client.
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends ansible-core python3-ansible-runner openssh-client tini \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    HYBRIDFORMS_WORKER_PORT=3100 \
    HYBRIDFORMS_RUN_WORK_DIR=/tmp/hf-runs \
    DATA_DIR=/var/lib/hybridforms
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
COPY --from=build /app/config config
COPY deploy/entrypoint.sh /usr/local/bin/hybridforms
RUN chmod 0755 /usr/local/bin/hybridforms \
 && useradd --system --uid 10001 --home-dir /var/lib/hybridforms --create-home hybridforms
USER hybridforms
EXPOSE 3000 3100
# tini forwards SIGTERM: a worker then stops taking jobs and finishes its running ones
# (HYBRIDFORMS_SHUTDOWN_GRACE_SECONDS) before it exits.
ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/hybridforms"]
CMD ["api"]
