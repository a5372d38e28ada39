#!/usr/bin/env bash
# Times `ptsplan validate DIR` on a directory plan of 100 files (200 scenes) with hyperfine.
# The goal (issue 2): under 200 ms with a release build. Usage: bench/validate-100.sh [N_FILES]
set -euo pipefail
cd "$(dirname "$0")/.."
files=${1:-100}
command -v hyperfine >/dev/null || { echo "hyperfine is needed: apt-get install hyperfine" >&2; exit 1; }
cargo build --release --quiet
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
bench/gen-plans.py "$files" "$dir"
echo "plan: $dir ($files files, $(grep -c '^  [a-z].*:$' "$dir"/*.yaml | awk -F: '{s+=$2} END {print s}') scenes)"
WX_APP_SECRET=bench target/release/ptsplan validate "$dir" --color never
hyperfine --warmup 3 --runs 30 -N --export-json "$dir/result.json" \
  "env WX_APP_SECRET=bench target/release/ptsplan validate $dir -q"
python3 - "$dir/result.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
print(f"mean {r['mean']*1000:.1f} ms, min {r['min']*1000:.1f} ms, max {r['max']*1000:.1f} ms (goal < 200 ms)")
PY
