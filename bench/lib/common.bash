# Shared by the bench/*.sh scripts: argument and tool checks, a scratch directory that is
# removed at exit, and the line that says where and when a table was measured.
# shellcheck shell=bash

bench_name=${0##*/}

bench_die() {
    echo "$bench_name: $*" >&2
    exit 1
}

# bench_require TOOL...: every TOOL is on PATH.
bench_require() {
    local tool
    for tool in "$@"; do
        command -v "$tool" >/dev/null ||
            bench_die "$tool is not installed (scripts/install-deps installs it)"
    done
}

# bench_locate BIN_DIR: sets bin_dir (aarm-run, aarm) and bench_bin (the benchmark programs).
bench_locate() {
    local dir=$1 binary
    for binary in aarm-run aarm bench/workload bench/mediate_floor bench/receipt_log_gen; do
        [[ -x $dir/$binary ]] ||
            bench_die "no $binary in $dir; build first, or pass the bin directory"
    done
    bin_dir=$(cd "$dir" && pwd)
    bench_bin=$bin_dir/bench
}

# bench_scratch: sets scratch to a fresh directory removed at exit, with a pinned signing key
# made by `aarm keygen` in $scratch/key (key, pub).
bench_scratch() {
    scratch=$(mktemp -d)
    trap 'rm -rf "$scratch"' EXIT
    mkdir -p "$scratch/key"
    "$bin_dir/aarm" keygen --out "$scratch/key" >/dev/null
    key=$scratch/key/signing-key.pem
    pub=$scratch/key/signing-key.pub.pem
}

# bench_machine: one line naming the date, kernel, CPUs, commit and load.
bench_machine() {
    local here commit
    here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
    commit=$(git -C "$here" rev-parse --short HEAD 2>/dev/null || echo unknown)
    echo "$(date -u +%Y-%m-%d), $(uname -sr), $(nproc) CPU" \
        "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), uid $(id -u)," \
        "commit $commit, load $(cut -d' ' -f1-3 /proc/loadavg)"
}

# bench_now_ns: the wall clock in nanoseconds.
bench_now_ns() {
    local now=${EPOCHREALTIME/./}
    echo "${now}000"
}
