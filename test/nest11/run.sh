#!/usr/bin/env bash
# The Nest 11 check: installs the packed library with @nestjs/*@11 (and without the optional
# ioredis) in a scratch directory and
# runs the smoke test there. Usage: bash test/nest11/run.sh (after npm run build).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

cd "$root"
[ -f dist/index.js ] || npm run build
tarball="$(npm pack --silent --pack-destination "$scratch" | tail -n 1)"

cd "$scratch"
cat > package.json <<JSON
{ "name": "nest11-check", "private": true, "type": "module" }
JSON
npm install --no-audit --no-fund --loglevel=error \
  "./$tarball" @nestjs/common@^11 @nestjs/core@^11 @nestjs/platform-express@^11 \
  @nestjs/terminus@^11 reflect-metadata rxjs eventsource@^4
cp "$root/test/nest11/smoke.mjs" .
echo "Nest $(node -p "require('@nestjs/core/package.json').version"), terminus $(node -p "require('@nestjs/terminus/package.json').version") — running the smoke test"
node --test smoke.mjs
