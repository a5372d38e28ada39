#!/usr/bin/env bash
# The quickstart: the whole ptsplan story in about a minute, on this machine, with no cloud
# account and no credentials.
#
#   ./quickstart.sh           build, start the sample back end, validate, plan, apply, run
#   ./quickstart.sh --clean   forget the local backend's state first (scenes, runs)
#
# It builds ptsplan, starts the sample mini-program back end that ships in the binary
# (`ptsplan sample-app`, on 127.0.0.1:8090, stopped when the script ends), then runs, and
# shows, the commands a user would type against plans/quickstart.yaml. Everything talks to
# the embedded local backend (PTSPLAN_BACKEND=local), whose state lives in .ptsplan/local/;
# evidence bundles go to output/ptsplan/.
#
# Run it again: apply converges ("No changes") and the scenes run again. Edit
# plans/quickstart.yaml first and the plan shows the difference. See README.md.
set -euo pipefail
cd "$(dirname "$0")"

clean=false
for arg in "$@"; do
    case "$arg" in
        --clean) clean=true ;;
        -h | --help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "quickstart.sh: unknown argument $arg (try --help)" >&2; exit 64 ;;
    esac
done

plan=plans/quickstart.yaml
bin="${CARGO_TARGET_DIR:-target}/release/ptsplan"

# What a reader types (bold on a terminal), then its output.
bold=""; plain=""
if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then bold=$'\033[1m'; plain=$'\033[0m'; fi
step() {
    printf '\n%s$ %s%s\n' "$bold" "$*" "$plain"
}
ptsplan() {
    "$bin" "$@"
}

step "cargo build --release"
cargo build --release --quiet

# Never the cloud: even with Alibaba Cloud credentials in the environment, the quickstart
# uses the embedded backend. The app secret of the sample app: a demo value unless set.
export PTSPLAN_BACKEND=local
export SAMPLE_APP_SECRET="${SAMPLE_APP_SECRET:-quickstart-demo-secret}"

if $clean; then
    step "rm -rf .ptsplan/local"
    rm -rf .ptsplan/local
fi

step "ptsplan sample-app --token-ttl 15s &"
log=$(mktemp -t ptsplan-sample-app.XXXXXX)
"$bin" sample-app --token-ttl 15s >"$log" 2>&1 &
app=$!
trap 'kill "$app" 2>/dev/null || true; wait "$app" 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 100); do
    if grep -q 'listening on' "$log"; then break; fi
    if ! kill -0 "$app" 2>/dev/null; then
        cat "$log" >&2
        echo "quickstart.sh: the sample app did not start (is port 8090 taken?)" >&2
        exit 1
    fi
    sleep 0.1
done
sed -n '1,4p' "$log"

step "ptsplan validate $plan"
ptsplan validate "$plan"

step "ptsplan plan $plan"
ptsplan plan "$plan"

step "ptsplan apply $plan --auto-approve"
ptsplan apply "$plan" --auto-approve

step "ptsplan run browse-orders place-order --plan $plan"
ptsplan run browse-orders place-order --plan "$plan"

evidence=$(ls -td output/ptsplan/*/ 2>/dev/null | head -n 1 || true)
echo
echo "Done. Evidence bundle: ${evidence%/}"
for page in "${evidence}"reports/*/report.html; do
    if [ -f "$page" ]; then echo "HTML report: $page"; fi
done
echo "Run ./quickstart.sh again: apply converges with no changes, and the scenes run again."
