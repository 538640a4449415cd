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

# bench_enter_mount_namespace ARGS...: as root, re-runs the script in a private mount namespace
# (once), so that bench_tmpfs can mount without touching the host's mount table.
bench_enter_mount_namespace() {
    if [[ $(id -u) == 0 && -z ${BENCH_MOUNT_NAMESPACE:-} ]] && command -v unshare >/dev/null; then
        BENCH_MOUNT_NAMESPACE=1 exec unshare --mount --propagation private "$0" "$@"
    fi
}

# bench_tmpfs DIR: mounts a tmpfs on DIR when the script runs in its own mount namespace; sets
# dir_fstype to the file system DIR is then on.
bench_tmpfs() {
    local dir=$1
    if [[ -n ${BENCH_MOUNT_NAMESPACE:-} ]] && mount -t tmpfs -o size=1g,mode=0755 bench "$dir"; then
        trap 'cd /; umount "'"$dir"'"; rm -rf "$scratch"' EXIT
    fi
    dir_fstype=$(df --output=fstype "$dir" | tail -n1)
}

# bench_machine: one line naming the date, kernel, CPUs, the commit of the sources and load.
bench_machine() {
    local here commit
    here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
    # The last commit that changed what the binaries are built from.
    commit=$(git -C "$here" log -1 --format=%h -- src include cmd profiles 2>/dev/null || true)
    if [[ -z $commit ]]; then
        commit=unknown
    elif ! git -C "$here" diff --quiet HEAD -- src include cmd profiles; then
        commit+=" + uncommitted changes"
    fi
    echo "$(date -u +%Y-%m-%d), $(uname -sr), $(nproc) CPU" \
        "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), uid $(id -u)," \
        "sources of commit $commit, load $(cut -d' ' -f1-3 /proc/loadavg)"
}

# bench_now_ns: the wall clock in nanoseconds.
bench_now_ns() {
    local now=${EPOCHREALTIME/./}
    echo "${now}000"
}
