#!/usr/bin/env bash
# The Dockerfile's recipe without a container engine: restore and publish as the image's build
# stage does, start the published output as its entrypoint does (JSON logs, SQLite and key ring
# in a data directory), then probe /health and /health/ready. Fails loudly on any step.
set -euo pipefail
cd "$(dirname "$0")/.."

fail() { echo "check-publish: FAILED: $*" >&2; [ -f "${log:-}" ] && tail -n 40 "$log" >&2; exit 1; }
command -v curl >/dev/null || fail "curl is needed to probe the server"

work="$(mktemp -d)"
log="$work/server.log"
pid=""
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid"; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

case "$(uname -m)" in
  aarch64|arm64) rid=linux-arm64 ;;
  *) rid=linux-x64 ;;
esac
echo "check-publish: restore and publish (Release, $rid, ReadyToRun)"
dotnet restore src/ChatMerge/ChatMerge.csproj -r "$rid" >/dev/null || fail "restore"
dotnet publish src/ChatMerge/ChatMerge.csproj -c Release -r "$rid" --self-contained false --no-restore -o "$work/app" >/dev/null || fail "publish"
[ -f "$work/app/ChatMerge.dll" ] || fail "publish produced no ChatMerge.dll"

echo "check-publish: start the published server"
mkdir -p "$work/data"
(
  cd "$work/data"
  exec env ASPNETCORE_ENVIRONMENT=Production LOG_FORMAT=json \
    SERVER_HOST=127.0.0.1 SERVER_PORT=0 \
    DATABASE_URL="sqlite:///$work/data/chatmerge.db" \
    dotnet "$work/app/ChatMerge.dll"
) >"$log" 2>&1 &
pid=$!

address=""
for _ in $(seq 1 120); do
  kill -0 "$pid" 2>/dev/null || fail "the server exited during start-up"
  address="$(grep -o '"Message":"ChatMerge listening on http://127.0.0.1:[0-9]*' "$log" | head -n 1 | sed 's/.*listening on //')" || true
  [ -n "$address" ] && break
  sleep 0.5
done
[ -n "$address" ] || fail "no 'ChatMerge listening on' line within 60 s"
echo "check-publish: listening on $address"

probe() {
  local body
  body="$(curl -fsS --max-time 10 "$address$1")" || fail "GET $1"
  [ "$body" = "$2" ] || fail "GET $1 answered '$body', expected '$2'"
  echo "check-publish: GET $1 -> $body"
}
probe /health '{"status":"ok"}'
probe /health/ready '{"status":"ok","checks":{"database":"ok"}}'

kill -TERM "$pid"
wait "$pid" || fail "the server did not stop cleanly on SIGTERM (exit $?)"
pid=""
grep -q '"Message":"ChatMerge stopped"' "$log" || fail "no shutdown line in the log"
# As in the image, where nothing sets CHATMERGE_KEYS_DIR: the key ring goes beside the database file.
[ -d "$work/data/keys" ] || fail "the key ring was not created beside the database file"
echo "check-publish: ok"
