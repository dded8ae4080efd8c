#!/usr/bin/env bash
# Replays the Dockerfile's CPU image steps without Docker: the build stage's own COPY and RUN lines
# in a clean folder (docker/build-stage-steps.mjs reads them from the Dockerfile), then the runtime
# stage's layout (dist/, production node_modules, package.json, healthcheck, model) in a second
# folder, where the server is started as the image's CMD would, checked with the image's
# HEALTHCHECK, and stopped with SIGTERM. Needs the npm registry (npm ci). Takes minutes: native
# addons are compiled.
#
#   bash docker/verify-install.sh            # uses models/, or the seeded dev model if absent
#   KEEP=1 bash docker/verify-install.sh     # keep the temporary folder for inspection
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/stemdex-verify-install.XXXXXX")"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then kill -KILL "$server_pid"; fi
  if [ "${KEEP:-0}" = 1 ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
step() { printf '\n== %s\n' "$*"; }

model_dir="$repo/models"
if [ ! -f "$model_dir/manifest.json" ]; then
  step "models/ has no exported model: using the seeded dev model (.cache/dev-model)"
  (cd "$repo" && npx tsx -e "import('./training/export/dev-model.ts').then((m) => m.ensureDevModel())")
  model_dir="$repo/.cache/dev-model"
fi

step "build stage, replayed from the Dockerfile (docker/build-stage-steps.mjs)"
build="$work/build"
mkdir -p "$build"
node "$repo/docker/build-stage-steps.mjs" build > "$work/build-steps.sh"
(cd "$build" && REPO="$repo" /bin/sh "$work/build-steps.sh") 2>&1 | grep -v '^npm warn' | tail -n 20

step "runtime stage: dist/, production node_modules, package.json, healthcheck, model"
runtime="$work/app"
mkdir -p "$runtime/docker" "$work/data"
cp -R "$build/dist" "$build/node_modules" "$build/package.json" "$runtime/"
cp "$repo/docker/healthcheck.mjs" "$runtime/docker/"
cp -R "$model_dir" "$runtime/models"
du -sh "$runtime/dist" "$runtime/node_modules" "$runtime/models" | sed 's/^/  /'
echo "  largest production packages:"
(cd "$runtime/node_modules" && du -s -- * @*/* 2>/dev/null | sort -rn | head -n 8 | awk '{printf "    %6.1f MiB  %s\n", $1/1024, $2}')

step "runtime: node dist/src/cli.js serve (image environment, CPU provider)"
port="${PORT:-18080}"
cd "$runtime"
env -i PATH="$PATH" HOME="$work" NODE_ENV=production \
  STEMDEX_HOST=127.0.0.1 STEMDEX_PORT="$port" STEMDEX_MODEL_DIR="$runtime/models" \
  STEMDEX_DATA_DIR="$work/data" STEMDEX_EXECUTION_PROVIDERS=cpu STEMDEX_LOG_LEVEL=warn \
  node dist/src/cli.js serve &
server_pid=$!
started=$(date +%s)
until STEMDEX_PORT="$port" node docker/healthcheck.mjs 2>/dev/null; do
  kill -0 "$server_pid" 2>/dev/null || { echo "server exited before becoming healthy" >&2; exit 1; }
  [ $(($(date +%s) - started)) -lt 120 ] || { echo "not healthy after 120 s" >&2; exit 1; }
  sleep 0.5
done
echo "  HEALTHCHECK passed after $(($(date +%s) - started)) s"
ready="$(node -e "fetch('http://127.0.0.1:$port/readyz').then(async (r) => { console.log(r.status, await r.text()); })")"
echo "  /readyz: $ready"
case "$ready" in 200*) ;; *) echo "not ready" >&2; exit 1 ;; esac

step "runtime: SIGTERM"
kill -TERM "$server_pid"
code=0
wait "$server_pid" || code=$?
server_pid=""
echo "  exit code $code"
[ "$code" -eq 0 ]
step "OK: the image's install, build, start, health check and shutdown steps work"
