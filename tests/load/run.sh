#!/usr/bin/env bash
# HTTP load on loopback with wrk, in one run: requests/s and p99 latency at 64 connections for
# the bare route (/healthz), a logged-in questionnaire section page and section saves (64 savers,
# each saving its own draft response), and the ratio of the section page to the bare route.
#
# It seeds a synthetic assessment (`capacity-survey-tools bench --seed-only`), starts the release server
# on it, runs wrk against 127.0.0.1 only, then stops the server and removes the database.
#
#   tests/load/run.sh                      # 1,000 organizations, SQLite, 10 s per measure
#   ORGS=10000 DURATION=15s tests/load/run.sh
#   POSTGRES=postgres://postgres@127.0.0.1:5432/postgres tests/load/run.sh
#
# Needs wrk (Debian package `wrk`) and curl; builds the release server and tools if they are missing.
set -euo pipefail
cd "$(dirname "$0")/../.."

ORGS="${ORGS:-1000}"
DURATION="${DURATION:-10s}"
CONNECTIONS="${CONNECTIONS:-64}"
THREADS="${THREADS:-2}"
BIN="${BIN:-./target/release/capacity-survey}"
TOOLS="${TOOLS:-./target/release/capacity-survey-tools}"
POSTGRES="${POSTGRES:-}"

for tool in wrk curl; do
    command -v "$tool" >/dev/null || { echo "$tool is missing (apt-get install $tool)" >&2; exit 1; }
done
[ -x "$BIN" ] || cargo build --release
[ -x "$TOOLS" ] || cargo build --release -p tools

WORK="$(mktemp -d)"
SERVER=""
DB=""
cleanup() {
    if [ -n "$SERVER" ]; then
        kill "$SERVER" 2>/dev/null || true
        wait "$SERVER" 2>/dev/null || true
    fi
    case "$DB" in
        sqlite://*) rm -rf "$(dirname "${DB#sqlite://}")" ;;
        postgres://*)
            psql "${DB%/*}/postgres" -qc "DROP DATABASE IF EXISTS ${DB##*/} WITH (FORCE)" >/dev/null 2>&1 || true ;;
    esac
    rm -rf "$WORK"
}
trap cleanup EXIT

echo "seeding ${ORGS} organizations${POSTGRES:+ on PostgreSQL}..."
"$TOOLS" bench --seed-only --organizations "$ORGS" ${POSTGRES:+--postgres "$POSTGRES"} >"$WORK/seed.txt"
field() { sed -n "s/^$1: //p" "$WORK/seed.txt"; }
DB="$(field database)"
EMAIL="$(field representative)"
PASSWORD="$(field password)"
RESPONSES="$(field 'representative responses')"
FIRST="${RESPONSES%%,*}"
SAVERS="$(tr ',' '\n' <<<"$RESPONSES" | grep -c .)"
if [ "$SAVERS" -lt "$CONNECTIONS" ]; then
    echo "${CONNECTIONS} savers need ${CONNECTIONS} draft responses; ORGS=${ORGS} gives ${SAVERS} (use ORGS >= $((CONNECTIONS * 5)))" >&2
    exit 1
fi

# A free loopback port.
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
BASE="http://127.0.0.1:${PORT}"
# No per-address cap: every wrk connection comes from 127.0.0.1.
"$BIN" serve --bind "127.0.0.1:${PORT}" --database "$DB" --base-url "$BASE" \
    --data-dir "$WORK/data" --outbox-dir "$WORK/outbox" --workers 2 \
    --max-connections-per-address 0 \
    >/dev/null 2>"$WORK/server.log" &
SERVER=$!
for _ in $(seq 1 200); do
    curl -sf "$BASE/healthz" >/dev/null 2>&1 && break
    sleep 0.1
done
curl -sf "$BASE/healthz" >/dev/null || { echo "the server did not start:" >&2; cat "$WORK/server.log" >&2; exit 1; }

# Log in as the representative; keep the session cookie and the form token.
JAR="$WORK/cookies"
token_of() { sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' | head -n 1; }
LOGIN_TOKEN="$(curl -s -c "$JAR" -b "$JAR" "$BASE/login" | token_of)"
STATUS="$(curl -s -o /dev/null -w '%{http_code}' -c "$JAR" -b "$JAR" \
    --data-urlencode "csrf_token=${LOGIN_TOKEN}" --data-urlencode "email=${EMAIL}" \
    --data-urlencode "password=${PASSWORD}" "$BASE/login")"
[ "$STATUS" = 303 ] || { echo "login gave ${STATUS}" >&2; exit 1; }
COOKIE="cs_session=$(awk '$6 == "cs_session" { print $7 }' "$JAR" | tail -n 1)"
SECTION_PATH="/responses/${FIRST}/sections/legal"
check_page() {
    local status
    status="$(curl -s -o "$WORK/page.html" -w '%{http_code}' -H "Cookie: ${COOKIE}" "$BASE$SECTION_PATH")"
    [ "$status" = 200 ] || { echo "the section page gave ${status} $1" >&2; exit 1; }
}
check_page "before the run"
CSRF="$(token_of <"$WORK/page.html")"
export COOKIE CSRF SECTION_PATH RESPONSES

# "Requests/sec" and the 99th percentile (in ms) of a wrk report.
rps() { awk '/^Requests\/sec:/ { print $2 }' "$1"; }
p99() {
    awk '$1 == "99%" { v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v);
        f = (u == "us") ? 0.001 : (u == "s") ? 1000 : (u == "m") ? 60000 : 1; printf "%.2f", v * f }' "$1"
}
errors() { awk '/Non-2xx or 3xx responses:/ { n += $5 } /Socket errors:/ { n += 1 } END { print n + 0 }' "$1"; }

echo "wrk: ${CONNECTIONS} connections, ${DURATION} per measure, server with 2 workers on 2 cores"
wrk -t "$THREADS" -c "$CONNECTIONS" -d "$DURATION" --latency "$BASE/healthz" >"$WORK/bare.txt"
wrk -t "$THREADS" -c "$CONNECTIONS" -d "$DURATION" --latency -s tests/load/section.lua "$BASE" >"$WORK/page.txt"
check_page "after the run"
# One thread per saver: each has one connection and its own response.
wrk -t "$CONNECTIONS" -c "$CONNECTIONS" -d "$DURATION" --latency -s tests/load/save.lua "$BASE" >"$WORK/save.txt"

printf '\n%-36s %12s %10s %8s\n' "measure" "requests/s" "p99 ms" "errors"
printf '%-36s %12s %10s %8s\n' "bare route (/healthz)" "$(rps "$WORK/bare.txt")" "$(p99 "$WORK/bare.txt")" "$(errors "$WORK/bare.txt")"
printf '%-36s %12s %10s %8s\n' "questionnaire section page" "$(rps "$WORK/page.txt")" "$(p99 "$WORK/page.txt")" "$(errors "$WORK/page.txt")"
printf '%-36s %12s %10s %8s\n' "section save (${CONNECTIONS} savers)" "$(rps "$WORK/save.txt")" "$(p99 "$WORK/save.txt")" "$(errors "$WORK/save.txt")"
grep -E '^(saves:|a failed save:)' "$WORK/save.txt" || true
awk -v page="$(rps "$WORK/page.txt")" -v bare="$(rps "$WORK/bare.txt")" \
    'BEGIN { printf "section page / bare route: %.1f %%\n", 100 * page / bare }'
awk '/^VmRSS:/ { rss = $2 } /^VmHWM:/ { hwm = $2 }
    END { printf "server memory after the run: %.1f MB resident, peak %.1f MB\n", rss / 1024, hwm / 1024 }' \
    "/proc/$SERVER/status" || true
if [ -n "${KEEP_REPORTS:-}" ]; then
    cp "$WORK"/bare.txt "$WORK"/page.txt "$WORK"/save.txt "$WORK"/server.log "$KEEP_REPORTS"/
fi
