#!/usr/bin/env bash
# What mediation costs per action and on a real build: open+close of a project file (recorded
# one by one) and of a system file (public: counted), fork+exec
# of /bin/true, a loopback TCP connect (notified; aarm-run lets the kernel complete it) and the
# wall time of `make -j2` over 40 generated C files, each run bare, under the two kernel floors
# (mediate_floor continue / emulate), under aarm-run and under strace --seccomp-bpf. Repetitions
# are interleaved (every repetition runs every row, in a rotating order); the table holds the
# medians, their spread, and the ratios the project aims for.
#
# usage: bench/mediation.sh [BIN_DIR]   BIN_DIR holds aarm-run, aarm and bench/ (default ./build/bin)
# environment: BENCH_REPS (default 7), BENCH_SCALE (iterations multiplier, default 1)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib/common.bash
source "$here/lib/common.bash"

bench_require strace make gcc python3 taskset
# The project lives in a tmpfs when the script may mount one: creating files on this class of
# machine's shared ext4 costs anywhere from 10 µs to 1 ms, which would swamp what is measured.
bench_enter_mount_namespace "$@"
bench_locate "${1:-./build/bin}"
reps=${BENCH_REPS:-7}
scale=${BENCH_SCALE:-1}
[[ $reps =~ ^[1-9][0-9]*$ ]] || bench_die "BENCH_REPS must be a positive number"
[[ $scale =~ ^[0-9]+(\.[0-9]+)?$ ]] || bench_die "BENCH_SCALE must be a number"
bench_scratch

# The agent's project: the workload program (the default profile shows the agent the system
# directories and the project, nothing else), a file to open, and a small C project to build.
project=$scratch/project
mkdir -p "$project"
bench_tmpfs "$project"
mkdir "$project/build"
cp "$bench_bin/workload" "$project/workload"
echo data >"$project/data.txt"
# A system file the default profile labels public: its reads are counted, not recorded.
public_file=/usr/bin/true
units=40
for ((i = 0; i < units; ++i)); do
    cat >"$project/build/unit$i.c" <<EOF
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int unit$i(int x) {
  char buffer[64];
  snprintf(buffer, sizeof buffer, "%d-%d", x, $i);
  return (int)strlen(buffer) + (int)sqrt((double)x * $i) + abs(x - $i);
}
EOF
done
{
    echo "#include <stdio.h>"
    for ((i = 0; i < units; ++i)); do echo "int unit$i(int);"; done
    echo "int main(void) {"
    echo "  int sum = 0;"
    for ((i = 0; i < units; ++i)); do echo "  sum += unit$i(sum + $i);"; done
    echo "  printf(\"%d\\n\", sum);"
    echo "  return 0;"
    echo "}"
} >"$project/build/main.c"
cat >"$project/build/Makefile" <<'EOF'
CFLAGS = -O1 -pipe
SOURCES = $(wildcard *.c)
prog: $(SOURCES:.c=.o)
	$(CC) -o $@ $^ -lm
EOF

receipts=$scratch/receipts.jsonl
samples=$scratch/samples.tsv
: >"$samples"

# The -1cpu rows run the same, pinned to one CPU: there no hand-off crosses CPUs, so what is
# left over the floor is the mediator's own work (not measured for the build, which needs both).
mechanisms=(bare floor-continue floor-emulate aarm-run strace floor-emulate-1cpu aarm-run-1cpu)

# wrap MECHANISM COMMAND...: runs COMMAND under MECHANISM (a -1cpu one pinned to CPU 0).
wrap() {
    local mechanism=$1 pin=()
    shift
    if [[ $mechanism == *-1cpu ]]; then
        pin=(taskset -c 0)
        mechanism=${mechanism%-1cpu}
    fi
    case $mechanism in
        bare) "${pin[@]}" "$@" ;;
        floor-continue) "${pin[@]}" "$bench_bin/mediate_floor" continue -- "$@" ;;
        floor-emulate) "${pin[@]}" "$bench_bin/mediate_floor" emulate -- "$@" ;;
        aarm-run)
            rm -f "$receipts"
            "${pin[@]}" "$bin_dir/aarm-run" --key "$key" -r "$receipts" -- "$@"
            ;;
        strace) "${pin[@]}" strace -f --seccomp-bpf -e trace=openat,execve,connect -o /dev/null "$@" ;;
    esac
}

# Iterations per run, so that each run lasts a fraction of a second to a second: the slow
# mechanisms run fewer. ns per operation is steady-state either way.
iterations() {
    local workload=$1 mechanism=$2 n
    case $workload:$mechanism in
        open*:bare) n=100000 ;;
        open*:floor-*) n=20000 ;;
        open-public:*) n=10000 ;;
        open:*) n=3000 ;;
        forkexec:bare | forkexec:floor-*) n=1000 ;;
        forkexec:*) n=300 ;;
        connect:strace) n=3000 ;;
        connect:*) n=10000 ;;
    esac
    python3 -c "print(max(1, round($n * $scale)))"
}

# sample REP WORKLOAD MECHANISM: one measurement, appended to $samples.
sample() {
    local rep=$1 workload=$2 mechanism=$3 out value start end
    if [[ $workload == build ]]; then
        rm -f "$project"/build/*.o "$project/build/prog"
        start=$(bench_now_ns)
        wrap "$mechanism" make -s -j2 -C "$project/build" >/dev/null ||
            bench_die "the build failed under $mechanism"
        end=$(bench_now_ns)
        [[ -x $project/build/prog ]] || bench_die "the build under $mechanism made no program"
        value=$(((end - start) / 1000))  # µs
    else
        local args=("$(iterations "$workload" "$mechanism")") mode=$workload
        [[ $workload == open ]] && args=("$project/data.txt" "${args[0]}")
        [[ $workload == open-public ]] && mode=open && args=("$public_file" "${args[0]}")
        out=$(wrap "$mechanism" "$project/workload" "$mode" "${args[@]}") ||
            bench_die "$workload failed under $mechanism"
        value=$(tail -n1 <<<"$out" | cut -d' ' -f3)
        if [[ $mechanism == aarm-run && $workload == open && $rep == 1 ]]; then
            recorded_opens=$(grep -c "\"path\":\"$project/data.txt\"" "$receipts" || true)
            # The workload's untimed warm-up: min(N/20, 50) opens before the timed N.
            local n=${args[1]} warmup=$((args[1] / 20 < 50 ? args[1] / 20 : 50))
            recorded_expected="$n timed + $warmup warm-up"
        fi
    fi
    printf '%s\t%s\t%s\t%s\n' "$rep" "$workload" "$mechanism" "$value" >>"$samples"
}

cd "$project"
machine=$(bench_machine)
for ((rep = 1; rep <= reps; ++rep)); do
    for workload in open open-public forkexec connect build; do
        # Rotate the order each repetition so that no row always follows the same one.
        count=${#mechanisms[@]}
        for ((k = 0; k < count; ++k)); do
            mechanism=${mechanisms[(k + rep) % count]}
            [[ $workload == build && $mechanism == *-1cpu ]] && continue
            sample "$rep" "$workload" "$mechanism"
        done
    done
done
rm -f "$project"/build/*.o "$project/build/prog"

echo "mediation: median of $reps interleaved repetitions (±: half the min..max range)"
echo "$machine"
echo "aarm-run: default profile, pinned key, receipts to a file; it recorded" \
    "${recorded_opens:-?} open actions for the ${recorded_expected:-?} opens of its first run"
echo "build: make -j2 over $((units + 1)) C files (gcc -O1 -pipe) and a link, wall time including the" \
    "wrapper's start-up; project in $dir_fstype"
echo
python3 - "$samples" "$here/lib" <<'PY'
import sys
from collections import defaultdict

sys.path.insert(0, sys.argv[2])
from table import median_and_spread, print_table, thousands

samples = defaultdict(list)
for line in open(sys.argv[1]):
    rep, workload, mechanism, value = line.rstrip("\n").split("\t")
    samples[(workload, mechanism)].append(float(value))

workloads = ["open", "open-public", "forkexec", "connect", "build"]
names = {
    "bare": "bare",
    "floor-continue": "floor (a): notify, CONTINUE, sync wake-up",
    "floor-emulate": "floor (b): notify, open emulated by ADDFD|SEND",
    "aarm-run": "aarm-run (default profile)",
    "strace": "strace -f --seccomp-bpf -e openat,execve,connect",
    "floor-emulate-1cpu": "floor (b), one CPU",
    "aarm-run-1cpu": "aarm-run, one CPU",
}
median = {key: median_and_spread(values) for key, values in samples.items()}


def cell(workload, mechanism):
    if (workload, mechanism) not in median:
        return "–"
    value, spread = median[(workload, mechanism)]
    if workload == "build":
        return f"{value / 1000:,.0f} ±{spread:.0%}"
    return f"{thousands(value)} ±{spread:.0%}"


def ratio(workload, top, bottom):
    return median[(workload, top)][0] / median[(workload, bottom)][0]


def judged(value, target, at_most):
    met = value <= target if at_most else value >= target
    sign = "≤" if at_most else "≥"
    return f"{value:.2f} ({'met' if met else 'missed'}: {sign}{target:g})"


header = ["", "open+close ns, recorded", "open+close ns, public", "fork+exec ns",
          "loopback connect ns", "make -j2 ms"]
rows = [[names[m]] + [cell(w, m) for w in workloads] for m in names]
rows.append(["floor (b) / bare"] + [f"{ratio(w, 'floor-emulate', 'bare'):.2f}" for w in workloads])
rows.append(["aarm-run / bare"] + [f"{ratio(w, 'aarm-run', 'bare'):.2f}" for w in workloads[:4]]
            + [judged(ratio("build", "aarm-run", "bare"), 1.25, True)])
rows.append(["aarm-run / floor (b)"]
            + [judged(ratio(w, "aarm-run", "floor-emulate"), 1.3, True) for w in workloads[:2]]
            + [f"{ratio(w, 'aarm-run', 'floor-emulate'):.2f}" for w in workloads[2:]])
rows.append(["aarm-run / floor (b), one CPU"]
            + [f"{ratio(w, 'aarm-run-1cpu', 'floor-emulate-1cpu'):.2f}" for w in workloads[:4]]
            + ["–"])
rows.append(["strace / aarm-run"]
            + [judged(ratio(w, "strace", "aarm-run"), 3, False) for w in workloads])
print_table(header, rows)
PY
