#!/usr/bin/env bash
# Start-up cost of the sandbox: /bin/true run bare, under `aarm-run` with the shipped default
# profile, and under `bwrap` with a comparable view. Prints one table of medians with the time
# added over bare and the ratio to it.
#
# usage: bench/startup.sh [BIN_DIR]     BIN_DIR holds aarm-run and aarm (default ./build/bin)
# environment: BENCH_RUNS (default 300), BENCH_WARMUP (default 30)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib/common.bash
source "$here/lib/common.bash"

bin_dir=${1:-./build/bin}
runs=${BENCH_RUNS:-300}
warmup=${BENCH_WARMUP:-30}

bench_require hyperfine bwrap python3
for binary in aarm-run aarm; do
    if [[ ! -x $bin_dir/$binary ]]; then
        echo "startup.sh: no $binary in $bin_dir; build first, or pass the bin directory" >&2
        exit 1
    fi
done
bin_dir=$(cd "$bin_dir" && pwd)

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
# The agent works in an empty project; receipts and a pinned key live beside it, as they would
# for a configured user (a fresh key per run would add its generation and a warning).
mkdir -p "$scratch/project" "$scratch/state"
"$bin_dir/aarm" keygen --out "$scratch/key" >/dev/null
export XDG_STATE_HOME=$scratch/state
export AARM_SIGNING_KEY=$scratch/key/signing-key.pem
unset AARM_PROFILE_DIR
cd "$scratch/project"

# bwrap with the view aarm-run's default profile gives the system directories: read-only system
# directories, every namespace including the network, a private /proc, /dev and /tmp, and the
# agent in a session of its own that dies with its parent.
bwrap_command="bwrap --unshare-all --die-with-parent --new-session"
for dir in /usr /etc /lib /lib64 /bin /sbin; do
    bwrap_command+=" --ro-bind-try $dir $dir"
done
bwrap_command+=" --proc /proc --dev /dev --tmpfs /tmp /bin/true"

hyperfine --shell=none --warmup "$warmup" --runs "$runs" --style none \
    --export-json "$scratch/results.json" \
    --command-name "bare /bin/true" "/bin/true" \
    --command-name "aarm-run -- /bin/true" "$bin_dir/aarm-run -- /bin/true" \
    --command-name "bwrap (comparable view) /bin/true" "$bwrap_command" >/dev/null

echo "startup of /bin/true: median of $runs runs after $warmup warm-up runs (hyperfine -N)"
bench_machine
echo
python3 - "$scratch/results.json" "$here/lib" <<'PY'
import json, sys

sys.path.insert(0, sys.argv[2])
from table import print_table

results = json.load(open(sys.argv[1]))["results"]
bare = results[0]["median"]
rows = []
for r in results:
    median = r["median"]
    rows.append([r["command"], f"{median * 1e3:.2f}", f"{(median - bare) * 1e3:+.2f}",
                 f"{median / bare:.1f}"])
print_table(["command", "median ms", "+ms over bare", "x bare"], rows)
PY
