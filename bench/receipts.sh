#!/usr/bin/env bash
# What receipts cost: records written per second while an agent creates files under aarm-run
# (each create is one recorded action), beside the same loop bare and under the emulating
# kernel floor; the receipt log's own cost per record (receipt_log_gen: SessionLog without any
# mediation) beside a raw Ed25519 signature by the signer aarm uses (libsodium); and `aarm verify`
# throughput on a log of a million records beside that signer's raw check rate per core times
# the cores, with the cores it kept busy, and beside what it checks on all cores at once; and
# OpenSSL's Ed25519 for reference. Repetitions are interleaved;
# the table holds medians and their spread. The last rows say whether the targets are met: a
# recorded action at most 1.5x a raw signature, verify at 80% of the raw verify rate per core on
# every core. Those ratios are of CPU time, as the raw rates are measured: others' load on a
# shared machine lengthens the wall clock of both sides, but not by the same amount.
#
# usage: bench/receipts.sh [BIN_DIR]   BIN_DIR holds aarm-run, aarm and bench/ (default ./build/bin)
# environment: BENCH_REPS (default 3), BENCH_VERIFY_RECORDS (records in the verified log,
#              default 1000000), BENCH_CREATES (files created per run under aarm-run, default 3000),
#              BENCH_LOG_RECORDS (records per run of the receipt log alone, default 20000),
#              BENCH_RAW_OPERATIONS (raw signatures and checks per run, default 20000)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib/common.bash
source "$here/lib/common.bash"

bench_require openssl python3
# Creating files on this class of machine's shared ext4 costs anywhere from 10 µs to 1 ms (inode
# allocation skips recently deleted inodes, and others delete many): the files are created in a
# tmpfs when the script may mount one, so that the figures are the mediator's, not the disk's.
bench_enter_mount_namespace "$@"
bench_locate "${1:-./build/bin}"
reps=${BENCH_REPS:-3}
verify_records=${BENCH_VERIFY_RECORDS:-1000000}
creates=${BENCH_CREATES:-3000}
log_records=${BENCH_LOG_RECORDS:-20000}
raw_ops=${BENCH_RAW_OPERATIONS:-20000}
for setting in reps verify_records creates log_records; do
    [[ ${!setting} =~ ^[1-9][0-9]*$ ]] || bench_die "$setting must be a positive number"
done
bench_scratch

project=$scratch/project
mkdir -p "$project"
bench_tmpfs "$project"
cp "$bench_bin/workload" "$project/workload"
receipts=$scratch/receipts.jsonl
big_log=$scratch/big.jsonl
samples=$scratch/samples.tsv
: >"$samples"
cd "$project"

record() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$samples"; }

# create REP MECHANISM N: N new files in a fresh directory of the project, ns per create.
create() {
    local rep=$1 mechanism=$2 n=$3 dir out
    dir=$project/out-$rep-$mechanism
    rm -rf "$dir"
    mkdir "$dir"
    case $mechanism in
        bare) out=$("$project/workload" create "$dir" "$n") ;;
        floor-emulate) out=$("$bench_bin/mediate_floor" emulate -- "$project/workload" create "$dir" "$n") ;;
        aarm-run)
            rm -f "$receipts"
            out=$("$bin_dir/aarm-run" --key "$key" -r "$receipts" -- "$project/workload" create "$dir" "$n")
            # Every create must have become a receipt, the untimed warm-up's too.
            local recorded warmup=$((n / 20 < 50 ? n / 20 : 50))
            recorded=$(grep -c '"kind":"file.create"' "$receipts" || true)
            ((recorded == n + warmup)) ||
                bench_die "aarm-run recorded $recorded creates for $((n + warmup))"
            ;;
    esac
    rm -rf "$dir"
    record "$rep" "create:$mechanism" "$(cut -d' ' -f3 <<<"$out")"
}

machine=$(bench_machine)
# The large log is written once; its writing time is one more sample of the log's own cost.
gen_start=$(bench_now_ns)
"$bench_bin/receipt_log_gen" "$key" "$big_log" "$verify_records" >/dev/null
gen_seconds=$(python3 -c "print(($(bench_now_ns) - $gen_start) / 1e9)")
big_lines=$(wc -l <"$big_log")

for ((rep = 1; rep <= reps; ++rep)); do
    create "$rep" bare $((creates * 20))
    create "$rep" floor-emulate $((creates * 5))
    create "$rep" aarm-run "$creates"

    rm -f "$scratch/small.jsonl"
    out=$("$bench_bin/receipt_log_gen" "$key" "$scratch/small.jsonl" "$log_records")
    record "$rep" log "$(cut -d' ' -f3 <<<"$out")"
    record "$rep" log_cpu "$(cut -d' ' -f4 <<<"$out")"

    # The signer aarm uses, bare: signatures and checks per second of CPU time, on one core, then
    # checks on every core at once (one process each, their rates summed) — at this moment,
    # others' load included: the ceiling a parallel verifier can reach.
    out=$("$bench_bin/receipt_log_gen" --raw "$key" "$raw_ops")
    record "$rep" sign_per_s "$(cut -d' ' -f2 <<<"$out")"
    record "$rep" verify_per_s "$(cut -d' ' -f3 <<<"$out")"
    all=0
    for ((core = 0; core < $(nproc); ++core)); do
        "$bench_bin/receipt_log_gen" --raw "$key" "$raw_ops" >"$scratch/raw.$core" &
    done
    wait
    for ((core = 0; core < $(nproc); ++core)); do
        all=$(python3 -c "print($all + $(cut -d' ' -f3 <"$scratch/raw.$core"))")
    done
    record "$rep" verify_all_per_s "$all"
    # OpenSSL's Ed25519, for reference: " 253 bits EdDSA (Ed25519)   0.0000s   0.0001s  23166.2
    # 9078.9" (sign/s, verify/s per second of CPU time).
    speed=$(openssl speed -seconds 2 ed25519 2>/dev/null | grep 'EdDSA (Ed25519)' | tail -n1)
    [[ -n $speed ]] || bench_die "openssl speed printed no Ed25519 line"
    record "$rep" openssl_sign_per_s "$(awk '{print $(NF-1)}' <<<"$speed")"
    record "$rep" openssl_verify_per_s "$(awk '{print $NF}' <<<"$speed")"

    # Wall, user and system seconds: the rate, the rate per second of CPU time (beside the raw rate),
    # and how many cores it kept busy.
    timing=$( { TIMEFORMAT='%R %U %S'; time "$bin_dir/aarm" verify --key "$pub" "$big_log" \
        >/dev/null 2>"$scratch/verify.err"; } 2>&1) ||
        bench_die "aarm verify rejected the generated log: $(head -c 2000 "$scratch/verify.err")"
    read -r wall user system <<<"$timing"
    record "$rep" verify_s "$wall"
    record "$rep" verify_cpu_s "$(python3 -c "print($user + $system)")"
    record "$rep" verify_cores "$(python3 -c "print(($user + $system) / $wall)")"
done

echo "receipts: median of $reps interleaved repetitions (±: half the min..max range)"
echo "$machine"
echo "verified log: $big_lines records ($((verify_records)) actions), written once by" \
    "receipt_log_gen in ${gen_seconds%.*} s; creates under aarm-run: $creates per run," \
    "receipt log alone: $log_records records per run," \
    "files created in $dir_fstype, receipts written to $(df --output=fstype "$scratch" | tail -n1)"
echo
python3 - "$samples" "$here/lib" "$big_lines" "$(nproc)" <<'PY'
import sys
from collections import defaultdict

sys.path.insert(0, sys.argv[2])
from table import median_and_spread, print_table, thousands

samples = defaultdict(list)
for line in open(sys.argv[1]):
    rep, name, value = line.rstrip("\n").split("\t")
    samples[name].append(float(value))
records, cores = int(sys.argv[3]), int(sys.argv[4])
m = {name: median_and_spread(values) for name, values in samples.items()}

sign_per_s, _ = m["sign_per_s"]
verify_per_s, _ = m["verify_per_s"]
sign_us = 1e6 / sign_per_s
verify_all_cores = verify_per_s * cores


def per_op_row(label, name, beside=""):
    ns, spread = m[name]
    return [label, f"{thousands(1e9 / ns)}", f"{ns / 1000:,.1f} ±{spread:.0%}", beside]


floor_ns = m["create:floor-emulate"][0]
aarm_ns = m["create:aarm-run"][0]
log_cpu_ns = m["log_cpu"][0]
verify_rate, verify_spread = median_and_spread([records / s for s in samples["verify_s"]])
verify_cores, _ = m["verify_cores"]
# Against the raw rates, which are per second of CPU time, the log's and verify's own CPU
# time: what other work on the machine takes from the wall clock is not theirs.
log_ratio = log_cpu_ns / 1000 / sign_us
per_core_rate = median_and_spread([records / s for s in samples["verify_cpu_s"]])[0]
per_core_share = per_core_rate / verify_per_s


def verdict(met, target):
    return "met" if met else f"missed: {target}"


rows = [
    per_op_row("create+close, bare", "create:bare"),
    per_op_row("create+close, floor (b): open emulated by ADDFD|SEND", "create:floor-emulate"),
    per_op_row("create+close under aarm-run: records written", "create:aarm-run",
               f"{(aarm_ns - floor_ns) / 1000:+,.1f} µs over floor (b) = "
               f"{(aarm_ns - floor_ns) / 1000 / sign_us:.1f}× a signature"),
    per_op_row("receipt log alone (SessionLog::RecordAction)", "log",
               f"CPU {log_cpu_ns / 1000:,.1f} µs = {log_ratio:.2f}× a signature"),
    ["raw Ed25519 sign, 1 core (libsodium, as aarm signs)", thousands(sign_per_s),
     f"{sign_us:,.1f} ±{m['sign_per_s'][1]:.0%}", ""],
    [f"aarm verify, {records:,}-record log", thousands(verify_rate),
     f"{1e6 / verify_rate:,.1f} ±{verify_spread:.0%}",
     f"{verify_rate / verify_all_cores:.0%} of raw verify × {cores} cores; per second of CPU "
     f"{thousands(per_core_rate)} = {per_core_share:.0%} of raw verify; "
     f"{verify_cores:.2f} cores busy"],
    [f"raw Ed25519 verify, 1 core × {cores} (libsodium)", thousands(verify_all_cores),
     f"{1e6 / verify_per_s:,.1f} per core ±{m['verify_per_s'][1]:.0%}", ""],
    [f"raw Ed25519 verify, {cores} at once (libsodium, {cores} processes)",
     thousands(m["verify_all_per_s"][0]),
     f"{1e6 * cores / m['verify_all_per_s'][0]:,.1f} per core ±{m['verify_all_per_s'][1]:.0%}",
     f"aarm verify reaches {verify_rate / m['verify_all_per_s'][0]:.0%} of it"],
    ["for reference: OpenSSL 3's Ed25519 sign, 1 core (openssl speed)",
     thousands(m["openssl_sign_per_s"][0]),
     f"{1e6 / m['openssl_sign_per_s'][0]:,.1f} ±{m['openssl_sign_per_s'][1]:.0%}", ""],
    ["for reference: OpenSSL 3's Ed25519 verify, 1 core (openssl speed)",
     thousands(m["openssl_verify_per_s"][0]),
     f"{1e6 / m['openssl_verify_per_s'][0]:,.1f} ±{m['openssl_verify_per_s'][1]:.0%}", ""],
    ["target: a recorded action ≤ 1.5× a raw signature", "", "",
     f"{log_ratio:.2f}× ({verdict(log_ratio <= 1.5, '≤1.5×')})"],
    [f"target: verify per core ≥ 80% of raw verify, on all {cores} cores", "", "",
     f"{per_core_share:.0%}, {verify_cores:.2f} cores busy "
     f"({verdict(per_core_share >= 0.8 and verify_cores >= 0.9 * cores, '≥80%, every core')})"],
]
print_table(["", "per second", "µs each", "beside it"], rows)
PY
