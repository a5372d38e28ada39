#!/usr/bin/env bash
# Times `ptsplan plan` over 1,000 owned scenes on the local backend with 20 ms of latency
# injected per call, against the bound calls × latency ÷ parallelism (goal: ≤ 1.2×).
# Usage: bench/plan-1000.sh [PARALLELISM] [RUNS]   (needs hyperfine: apt-get install hyperfine)
# Reports the median and the mean: other work on the machine makes single runs noisy.
set -euo pipefail
cd "$(dirname "$0")/.."
parallelism=${1:-20}
runs=${2:-10}
latency_ms=20
cargo build --release --quiet
bin=${CARGO_TARGET_DIR:-$PWD/target}/release/ptsplan
work=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT

bench/gen-plans.py 251 "$work/plans"            # 1 shared file + 250 files of 4 scenes
printf '[backend]\nparallelism = %s\nrate_limit = 100000\n' "$parallelism" > "$work/ptsplan.toml"
"$bin" emulator serve --listen 127.0.0.1:0 --state-dir "$work/state" > "$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 50); do grep -q ALICLOUD_ACCESS_KEY_SECRET "$work/serve.log" && break; sleep 0.1; done
eval "$(grep '^export' "$work/serve.log")"
export WX_APP_SECRET=bench-secret
cd "$work"
"$bin" apply plans --auto-approve -q > /dev/null
scenes=$("$bin" scenes list --format json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["scenes"]))')
curl -s -X PUT -H 'content-type: application/json' -d "{\"latency_ms\": $latency_ms}" "$PTSPLAN_ENDPOINT/_emulator/faults" > /dev/null
calls=$((scenes + scenes / 1000 + 1))            # one GetPtsScene each + ListPtsScene pages
bound=$(python3 -c "print($calls * $latency_ms / 1000 / $parallelism)")
hyperfine --warmup 1 --runs "$runs" -N --export-json "$work/result.json" "$bin plan plans --summary -q"
python3 - "$work/result.json" "$bound" "$scenes" "$calls" "$parallelism" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
bound = float(sys.argv[2])
print(f"{sys.argv[3]} scenes, {sys.argv[4]} calls, parallelism {sys.argv[5]}, 20 ms per call")
print(f"plan: median {r['median']:.2f} s, mean {r['mean']:.2f} s (min {r['min']:.2f} s, max {r['max']:.2f} s); "
      f"bound {bound:.2f} s; ratio {r['median']/bound:.2f}x median, {r['mean']/bound:.2f}x mean (goal <= 1.2x)")
print(f"user CPU {r['user']:.2f} s, system CPU {r['system']:.2f} s per run (mean)")
PY
