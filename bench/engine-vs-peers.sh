#!/usr/bin/env bash
# The local engine against wrk and oha, in one run, on the same target and connection count.
#
#   [PROFILE=perf|release] bench/engine-vs-peers.sh [--connections N] [--duration S]
#                            [--gen-cpu C] [--target-cpu C] [--skip-rps] [--skip-vus]
#
# 1. installs what is missing: wrk and nginx from Debian's packages, oha from crates.io;
#    builds ptsplan with the `perf` profile;
# 2. starts nginx (one worker, pinned to --target-cpu) answering GET / with a small JSON body;
# 3. runs wrk, oha and `ptsplan engine run` (a single-API scene with one STATUS_CODE
#    checkpoint, one worker thread) pinned to --gen-cpu, each for --duration seconds with
#    --connections keep-alive connections; prints requests/s, generator CPU-seconds per
#    100k requests and how busy the generator's and the target's cores were, side by side,
#    with ratios (a target core near 100% caps every generator alike);
# 4. RPS mode at 20, 50 and 80% of the engine's maximum, measured again (5 s, closed model)
#    just before each level: achieved rate and error;
# 5. 10,000 virtual users against a 100 ms target (a small asyncio server): peak RSS.
#
# Numbers from a shared machine are noisy: run it on an idle one, and more than once.
set -euo pipefail

CONNECTIONS=50
DURATION=10
GEN_CPU=0
TARGET_CPU=1
SKIP_RPS=0
SKIP_VUS=0
while [ $# -gt 0 ]; do
  case "$1" in
    --connections) CONNECTIONS=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --gen-cpu) GEN_CPU=$2; shift 2 ;;
    --target-cpu) TARGET_CPU=$2; shift 2 ;;
    --skip-rps) SKIP_RPS=1; shift ;;
    --skip-vus) SKIP_VUS=1; shift ;;
    *) echo "unknown option $1" >&2; exit 64 ;;
  esac
done

ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d)
PORT=18480
SLOW_PORT=18481
trap 'kill $(cat "$WORK"/nginx.pid 2>/dev/null) ${SLOW_PID:-} 2>/dev/null || true; rm -rf "$WORK"' EXIT

need() { command -v "$1" >/dev/null 2>&1; }
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
if ! need wrk || ! need nginx; then
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq wrk nginx-light >/dev/null
fi
export PATH="$HOME/.cargo/bin:$PATH"
need oha || cargo install oha --locked
# PROFILE=release skips the (slow, fat-LTO) perf build, e.g. for a quick look.
PROFILE=${PROFILE:-perf}
( cd "$ROOT" && cargo build --quiet --profile "$PROFILE" )
TARGET_DIR=$(cd "$ROOT" && cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
PTSPLAN="$TARGET_DIR/$PROFILE/ptsplan"
ulimit -n 65536 2>/dev/null || true

mkdir -p "$WORK/logs"
cat > "$WORK/nginx.conf" <<NGINX
worker_processes 1;
pid $WORK/nginx.pid;
error_log $WORK/logs/error.log crit;
events { worker_connections 16384; }
http {
  access_log off;
  keepalive_requests 100000000;
  keepalive_timeout 300s;
  server {
    listen 127.0.0.1:$PORT backlog=4096;
    location / { default_type application/json; return 200 '{"ok":true,"id":42}'; }
  }
}
NGINX
taskset -c "$TARGET_CPU" nginx -p "$WORK" -c "$WORK/nginx.conf"
sleep 0.5
URL="http://127.0.0.1:$PORT/"

scene() { # scene MODE LEVEL URL → scene JSON on stdout
  python3 - "$@" <<'PY'
import json, sys
mode, level, url = sys.argv[1], int(sys.argv[2]), sys.argv[3]
api = {"ApiName": "get", "ApiId": "get", "Url": url, "Method": "GET", "RedirectCountLimit": 0,
       "TimeoutInSecond": 10,
       "CheckPointList": [{"CheckType": "STATUS_CODE", "CheckPoint": "", "Operator": "eq", "ExpectValue": "200"}]}
load = {"TestMode": mode, "MaxRunningTime": 10}
if mode == "tps_mode":
    load["ApiLoadConfigList"] = [{"ApiId": "get", "RpsBegin": level, "RpsLimit": level}]
else:
    load["Configuration"] = {"AllConcurrencyBegin": level, "AllConcurrencyLimit": level}
print(json.dumps({"SceneName": "bench", "RelationList": [{"RelationName": "r", "ApiList": [api]}],
                  "LoadConfig": load}))
PY
}

# target_cpu → CPU-seconds the nginx worker has used so far (user + system)
target_cpu() {
  python3 - "$(pgrep -f 'nginx: worker' -P "$(cat "$WORK/nginx.pid")")" <<'PY'
import os, sys
fields = open(f"/proc/{sys.argv[1]}/stat").read().rsplit(")", 1)[1].split()
print((int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"))
PY
}

# measure NAME COMMAND... → appends "NAME requests seconds cpu_seconds max_rss_kb
# target_cpu_seconds" to results
measure() {
  local name=$1; shift
  local target_before target_after
  target_before=$(target_cpu)
  /usr/bin/time -f "%U %S %e %M" -o "$WORK/time" taskset -c "$GEN_CPU" "$@" > "$WORK/out" 2> "$WORK/err" || true
  target_after=$(target_cpu)
  local requests
  case "$name" in
    wrk*) requests=$(awk '/requests in/ {print $1}' "$WORK/out") ;;
    oha*) requests=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(sum(d["statusCodeDistribution"].values()))' "$WORK/out") ;;
    *) requests=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(sum(a["requests"] for a in d["apis"]))' "$WORK/out") ;;
  esac
  read -r user sys wall rss < "$WORK/time"
  echo "$name $requests $wall $(python3 -c "print($user+$sys)") $rss $(python3 -c "print($target_after-$target_before)")" >> "$WORK/results"
}

echo "target: nginx, 1 worker on CPU $TARGET_CPU; generators on CPU $GEN_CPU; $CONNECTIONS connections; ${DURATION}s each"
scene concurrency_mode "$CONNECTIONS" "$URL" > "$WORK/closed.json"
: > "$WORK/results"
measure wrk wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" "$URL"
measure oha oha -z "${DURATION}s" -c "$CONNECTIONS" --no-tui --output-format json "$URL"
measure engine "$PTSPLAN" engine run "$WORK/closed.json" --threads 1 --duration "${DURATION}s" --json

python3 - "$WORK/results" <<'PY'
import sys
rows = {}
for line in open(sys.argv[1]):
    name, requests, wall, cpu, rss, target = line.split()
    requests = int(requests or 0); wall = float(wall); cpu = float(cpu); target = float(target)
    rows[name] = (requests / wall if wall else 0, cpu / requests * 100_000 if requests else 0, requests,
                  cpu / wall * 100 if wall else 0, target / wall * 100 if wall else 0)
print(f"{'tool':<8} {'requests':>10} {'req/s':>10} {'CPU s/100k':>11} {'gen busy':>9} {'target busy':>12}"
      f" {'req/s vs wrk':>13} {'req/s vs oha':>13}")
for name, (rps, cpu, n, gen_busy, target_busy) in rows.items():
    vs = lambda other: f"{rps / rows[other][0]:.2f}x" if other in rows and rows[other][0] else "-"
    print(f"{name:<8} {n:>10} {rps:>10.0f} {cpu:>11.3f} {gen_busy:>8.0f}% {target_busy:>11.0f}%"
          f" {vs('wrk'):>13} {vs('oha'):>13}")
# A target whose core is (nearly) saturated caps every generator alike: the ratios
# then measure the target, and CPU s/100k is the generators' own comparison.
busiest = max(rows.values(), key=lambda r: r[4], default=None)
if busiest and busiest[4] >= 95:
    print(f"note: the target's core was {busiest[4]:.0f}% busy at {busiest[0]:.0f} req/s: "
          "req/s near that is the target's ceiling, not the generator's")
PY
ENGINE_RPS=$(awk '$1 == "engine" {printf "%d", $2 / $3}' "$WORK/results")

if [ "$SKIP_RPS" = 0 ] && [ "${ENGINE_RPS:-0}" -gt 0 ]; then
  for share in 20 50 80; do
    # The maximum again, just before: a virtual machine's speed drifts within seconds, and
    # a share of a maximum measured minutes earlier may be more than the machine now serves.
    taskset -c "$GEN_CPU" "$PTSPLAN" engine run "$WORK/closed.json" --threads 1 --duration 5s --json > "$WORK/max.out"
    NOW_RPS=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(int(d["apis"][0]["rps"]))' "$WORK/max.out")
    RATE=$((NOW_RPS * share / 100))
    echo "closed-model maximum just before: ${NOW_RPS}/s (at the start: ${ENGINE_RPS}/s)"
    scene tps_mode "$RATE" "$URL" > "$WORK/open.json"
    taskset -c "$GEN_CPU" "$PTSPLAN" engine run "$WORK/open.json" --threads 1 --duration "${DURATION}s" --json > "$WORK/open.out"
    python3 - "$WORK/open.out" "$RATE" "$DURATION" "$share" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); rate = int(sys.argv[2]); secs = float(sys.argv[3])
api = d["apis"][0]
# Whole seconds only: the first and last partial seconds are not at the rate.
full = [s["requests"] for s in d["series"] if 0 < s["second"] < secs - 1]
achieved = sum(full) / len(full) if full else api["rps"]
print(f"RPS mode at {sys.argv[4]}% of max: target {rate}/s, achieved {achieved:.0f}/s "
      f"({(achieved - rate) / rate * 100:+.1f}%), p99 {api['p99_ms']:.2f} ms (from intended send times)")
PY
  done
fi

if [ "$SKIP_VUS" = 0 ]; then
  cat > "$WORK/slow.py" <<'PY'
import asyncio, sys
RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok"
async def serve(reader, writer):
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            await asyncio.sleep(0.1)
            writer.write(RESPONSE)
            await writer.drain()
    except Exception:
        writer.close()
async def main():
    server = await asyncio.start_server(serve, "127.0.0.1", int(sys.argv[1]), backlog=16384)
    async with server:
        await server.serve_forever()
asyncio.run(main())
PY
  taskset -c "$TARGET_CPU" python3 "$WORK/slow.py" "$SLOW_PORT" &
  SLOW_PID=$!
  sleep 1
  scene concurrency_mode 10000 "http://127.0.0.1:$SLOW_PORT/" > "$WORK/vus.json"
  /usr/bin/time -f "%M" -o "$WORK/vus.time" taskset -c "$GEN_CPU" "$PTSPLAN" engine run "$WORK/vus.json" --threads 1 --duration "${DURATION}s" --json > "$WORK/vus.out"
  python3 - "$WORK/vus.out" "$WORK/vus.time" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); rss = int(open(sys.argv[2]).read().split()[-1])
a = d["apis"][0]
print(f"10,000 VUs against a 100 ms target: peak RSS {rss / 1024:.0f} MB, {a['requests']} requests, "
      f"{a['connect_errors']} connect errors, {a['timeouts']} timeouts, p50 {a['p50_ms']:.0f} ms")
PY
fi
