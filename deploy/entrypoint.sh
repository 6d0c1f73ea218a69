#!/bin/sh
# The image's entry: `api` (HTTP; enqueues when REDIS_URL is set, else runs everything in one
# process on SQLite), `worker` (needs REDIS_URL and DATABASE_URL), or the CLI commands.
set -e
cd /app
case "${1:-api}" in
  api) shift 2>/dev/null || true; exec node dist/apps/api/src/main.js "$@" ;;
  worker) shift; exec node dist/apps/worker/src/main.js "$@" ;;
  token:create) shift; exec node dist/apps/api/src/cli/token-create.js "$@" ;;
  secrets:rotate) shift; exec node dist/apps/api/src/cli/secrets-rotate.js "$@" ;;
  *) exec "$@" ;;
esac
