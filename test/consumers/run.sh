#!/usr/bin/env bash
# The consumer matrix: the packed library in the apps `nest new` makes, without ioredis.
# Usage: npm run test:consumers [-- variant...]   (variants: nest11-cjs nest12-cjs nest12-esm)
#
# Packs the library once, extracts the README's quick start (scripts/readme-snippets.mjs), then
# for each variant, in parallel, in a scratch directory: installs the tarball with that Nest
# major, compiles the quick start with tsc and that version's template tsconfig (skipLibCheck
# false, so our declarations are checked too), starts it, receives its events over HTTP
# (receive.mjs), stops it, and runs smoke.mjs (guards, broadcast, disconnect reasons, the
# install hint when the Redis transport is chosen without ioredis, and connectSse from the
# testing entry), then require()s the testing entry.
#
# Nest 11 compiles with the TypeScript its template asks for (^5.7.3): TypeScript 6 rejects that
# template (baseUrl, rootDir, types). The Nest 12 variants use TypeScript ~6.0.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
here="$root/test/consumers"
variants=("$@")
[ ${#variants[@]} -gt 0 ] || variants=(nest11-cjs nest12-cjs nest12-esm)

work="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

started=$SECONDS
cd "$root"
tarball="$work/$(npm pack --silent --pack-destination "$work" | tail -n 1)" # prepack builds dist/
node scripts/readme-snippets.mjs "$work/readme" >/dev/null
[ -f "$work/readme/quickstart/main.ts" ] || { echo "README has no quickstart group"; exit 1; }
echo "packed $(basename "$tarball") in $((SECONDS - started)) s"

free_port() {
  node -e "const s = require('net').createServer().listen(0, '127.0.0.1', () => { console.log(s.address().port); s.close(); })"
}

# One variant, in its own scratch directory; output goes to $work/<variant>.log.
check() {
  local variant="$1" nest typescript tsconfig type="" build
  # The template's tsconfig.build.json, which `nest build` compiles with.
  build='{ "extends": "./tsconfig.json", "compilerOptions": { "rootDir": "./src" }, "include": ["src"], "exclude": ["node_modules", "test", "dist", "**/*.spec.ts"] }'
  case "$variant" in
    nest11-cjs)
      nest=11 typescript='typescript@^5.7.3' tsconfig=tsconfig.nest11.json
      build='{ "extends": "./tsconfig.json", "exclude": ["node_modules", "test", "dist", "**/*spec.ts"] }'
      ;;
    nest12-cjs) nest=12 typescript='typescript@~6.0' tsconfig=tsconfig.nest12.json ;;
    nest12-esm) nest=12 typescript='typescript@~6.0' tsconfig=tsconfig.nest12-esm.json type=module ;;
    *) echo "unknown variant $variant"; return 1 ;;
  esac
  local dir
  dir="$(mktemp -d "$work/$variant.XXXX")"
  SECONDS=0
  cd "$dir"
  printf '{ "name": "%s", "private": true%s }\n' "$variant" "${type:+, \"type\": \"$type\"}" > package.json
  npm install --no-audit --no-fund --loglevel=error "$tarball" \
    "@nestjs/common@^$nest" "@nestjs/core@^$nest" "@nestjs/platform-express@^$nest" \
    "@nestjs/terminus@^$nest" reflect-metadata rxjs "$typescript" '@types/node@^20' 'eventsource@^4'
  if [ -e node_modules/ioredis ]; then echo "ioredis got installed"; return 1; fi
  echo "installed in $SECONDS s: Nest $(node -p "require('@nestjs/core/package.json').version"), TypeScript $(npx tsc -v)"

  mkdir src && cp "$work"/readme/quickstart/*.ts src/
  cp "$here/$tsconfig" tsconfig.json
  echo "$build" > tsconfig.build.json
  npx tsc -p tsconfig.build.json
  echo "compiled at $SECONDS s: $(cd dist && ls *.js | tr '\n' ' ')"

  local port pid status=0
  port="$(free_port)"
  PORT="$port" node dist/main.js > app.log 2>&1 &
  pid=$!
  trap "kill $pid 2>/dev/null || true" EXIT # the app, should this check stop early
  node "$here/receive.mjs" "http://127.0.0.1:$port" "$pid" || status=$?
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  if [ "$status" -ne 0 ]; then echo "--- app output"; cat app.log; return "$status"; fi
  if grep -q ExperimentalWarning app.log; then cat app.log; echo "unexpected warning"; return 1; fi
  echo "received at $SECONDS s"

  cp "$here/smoke.mjs" .
  node --test smoke.mjs
  # The testing entry from CommonJS too (require(esm)), without an ExperimentalWarning.
  node -e "if (typeof require('nestjs-sse-endpoint/testing').connectSse !== 'function') process.exit(1)" 2> require.log
  if [ -s require.log ]; then cat require.log; echo "require('nestjs-sse-endpoint/testing') warned"; return 1; fi
  echo "smoke test done at $SECONDS s"
}

for variant in "${variants[@]}"; do
  (check "$variant") > "$work/$variant.log" 2>&1 &
  pids+=($!)
done
failed=0
for i in "${!variants[@]}"; do
  variant="${variants[$i]}"
  if wait "${pids[$i]}"; then result=ok; else result=FAILED; failed=$((failed + 1)); fi
  echo "=== $variant: $result ($((SECONDS - started)) s since start)"
  cat "$work/$variant.log"
done
echo "matrix took $((SECONDS - started)) s"
echo "consumers: $((${#variants[@]} - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]
