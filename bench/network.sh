#!/usr/bin/env bash
# What the network service adds in proxy mode, on the loopback of this machine, in one run:
#
# - connections: N sequential small HTTP requests, each on a new connection, from net_load (a
#   small C client) to net_load's origin on the host's loopback: bare (straight to 127.0.0.1),
#   and under aarm-run with a proxy-mode profile that pins origin.test to 127.0.0.1, through the
#   HTTP proxy ($HTTP_PROXY, "GET http://" and CONNECT) and the transparent path (a plain
#   connect to the address getaddrinfo gives inside the sandbox). The added time per connection
#   is each row's time less bare's; CPU per connection is what every process spent, less what
#   an aarm-run session costs by itself (one with a 1-byte download, measured alongside).
#   Beside them, the same through the service run in-process by net_bench (no sandbox, an
#   observer that records nothing), and through net_bench's forwarding floor: the least any
#   proxy in the service's place costs.
# - recording: aarm-run writes a signed receipt when it decides a connection and another when
#   it closes; the receipt log's cost per record is measured in the same run (receipt_log_gen).
# - name lookups inside the sandbox (getaddrinfo through the sandbox's resolver).
# - download: one GET of BENCH_DOWNLOAD_MIB MiB, bare, through aarm-run's CONNECT tunnel and its
#   transparent path, and in-process; the wall rate and the CPU time per GiB of the client, the
#   origin and the rest (aarm-run: the supervisor, whose relay carries the bytes). The bare and
#   CONNECT downloads are run again with every thread on one CPU (taskset), where the rate is
#   the CPU cost alone. Each download is also checked byte for byte once (64 MiB).
#
# Repetitions are interleaved; the tables hold medians and ± half their range.
#
# usage: bench/network.sh [BIN_DIR]   BIN_DIR holds aarm-run, aarm and bench/ (default ./build/bin)
# environment: BENCH_REPS (default 5), BENCH_CONNECTIONS (per path and run, default 2000),
#              BENCH_DOWNLOAD_MIB (default 1024), BENCH_LOOKUPS (default 1000)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib/common.bash
source "$here/lib/common.bash"

bench_require python3 taskset
bench_locate "${1:-./build/bin}"
for program in net_bench net_load; do
    [[ -x $bench_bin/$program ]] || bench_die "no bench/$program in $bin_dir; build first"
done
reps=${BENCH_REPS:-5}
connections=${BENCH_CONNECTIONS:-2000}
download_mib=${BENCH_DOWNLOAD_MIB:-1024}
lookups=${BENCH_LOOKUPS:-1000}
for setting in reps connections download_mib lookups; do
    [[ ${!setting} =~ ^[1-9][0-9]*$ ]] || bench_die "$setting must be a positive number"
done
download_bytes=$((download_mib << 20))
bench_scratch
samples=$scratch/samples.tsv
receipts=$scratch/receipts.jsonl
project=$scratch/project
mkdir "$project"
cp "$bench_bin/net_load" "$project/net_load"
cd "$project"

# The origin serves until its stdin, the coprocess pipe, closes with this script.
coproc ORIGIN { exec "$bench_bin/net_load" origin; }
# shellcheck disable=SC2153  # ORIGIN_PID is set by coproc
origin_pid=$ORIGIN_PID
read -r -u "${ORIGIN[0]}" port || bench_die "the origin did not start"
cpus=$(nproc)
ticks_ns=$((1000000000 / $(getconf CLK_TCK)))

cat >"$scratch/profile.toml" <<EOF
version = 1
description = "bench/network.sh: the loopback origin as origin.test"

[session]
default = "allow"

[filesystem]
read = ["/usr", "/etc", "/lib", "/lib64", "/bin", "/sbin", "{project}"]
write = ["{project}"]

[network]
mode = "proxy"
allow = ["origin.test:$port"]
hosts = { "origin.test" = "127.0.0.1" }
EOF

# The client, bare and in the sandbox.
bare=("$project/net_load")
in_sandbox=("$bin_dir/aarm-run" -q -p "$scratch/profile.toml" --key "$key" -r "$receipts" --
    "$project/net_load")

# origin_cpu_ns: the CPU time the origin has spent so far, all its threads.
origin_cpu_ns() {
    local stat
    read -r stat <"/proc/$origin_pid/stat"
    # shellcheck disable=SC2086  # the fields after the command name, split on purpose
    set -- ${stat##*) }
    echo $(((${12} + ${13}) * ticks_ns))
}

# measure OUT COMMAND...: runs COMMAND with its stdout in OUT; prints the CPU nanoseconds it and
# its descendants spent.
measure() {
    local out=$1 timing user system
    shift
    timing=$( { TIMEFORMAT='%U %S'; time "$@" >"$out" 2>"$scratch/err"; } 2>&1) ||
        bench_die "$* failed: $(head -c 2000 "$scratch/err")"
    read -r user system <<<"$timing"
    python3 -c "print(round(($user + $system) * 1e9))"
}

# pin_origin CPUS: moves every thread of the origin (and the ones it starts later) to CPUS.
pin_origin() {
    taskset -a -p -c "$1" "$origin_pid" >/dev/null
}

# connections REP LABEL CLIENT ROUTE HOST: one sample of N connections; CLIENT is bare or
# in_sandbox.
connections() {
    local rep=$1 label=$2 route=$4 host=$5 before cpu
    local -n client=$3
    before=$(origin_cpu_ns)
    cpu=$(measure "$scratch/out" "${client[@]}" "$route" connections "$connections" "$host" "$port")
    cpu=$((cpu + $(origin_cpu_ns) - before))
    printf '%s\tconnect\t%s\t%s\t%s\t%s\n' "$rep" "$label" "$(<"$scratch/out")" "$cpu" \
        $((connections + connections / 10 + 1)) >>"$samples"
}

# download REP LABEL CLIENT ROUTE HOST [CPUS]: one sample of the download; CPUS pins it.
download() {
    local rep=$1 label=$2 route=$4 host=$5 cpus_used=${6:-} before cpu origin elapsed
    local client_cpu pin=()
    local -n client=$3
    if [[ -n $cpus_used ]]; then
        pin_origin "$cpus_used"
        pin=(taskset -c "$cpus_used")
    fi
    before=$(origin_cpu_ns)
    cpu=$(measure "$scratch/out" "${pin[@]}" "${client[@]}" "$route" download "$download_bytes" \
        "$host" "$port")
    origin=$(($(origin_cpu_ns) - before))
    [[ -n $cpus_used ]] && pin_origin "0-$((cpus - 1))"
    read -r elapsed client_cpu <"$scratch/out"
    printf '%s\tdownload\t%s\t%s\t%s\t%s\t%s\n' "$rep" "$label" "$elapsed" "$((cpu + origin))" \
        "$client_cpu" "$origin" >>"$samples"
}

machine=$(bench_machine)

# Every path carries the bytes exactly, and aarm-run records each connection and verifies.
check_bytes=$((64 << 20))
"${bare[@]}" direct check "$check_bytes" 127.0.0.1 "$port" >/dev/null
for route in proxy-get proxy-connect direct; do
    "${in_sandbox[@]}" "$route" check "$check_bytes" origin.test "$port" >/dev/null ||
        bench_die "the $route download through aarm-run was not carried exactly"
done
rm -f "$receipts"
"${in_sandbox[@]}" proxy-connect connections "$connections" origin.test "$port" >/dev/null
records_per_connection=$(python3 -c "
import json, sys
records = [json.loads(line) for line in open(sys.argv[1])]
connects = [r for r in records if r.get('action', {}).get('kind') == 'net.connect']
print(round(len(connects) / int(sys.argv[2]), 2))" "$receipts" $((connections + connections / 10 + 1)))
"$bin_dir/aarm" verify --key "$pub" "$receipts" >/dev/null ||
    bench_die "aarm verify rejected the receipts of the connections"

for ((rep = 0; rep < reps; rep++)); do
    connections "$rep" bare bare direct 127.0.0.1
    connections "$rep" aarm-get in_sandbox proxy-get origin.test
    connections "$rep" aarm-connect in_sandbox proxy-connect origin.test
    connections "$rep" aarm-transparent in_sandbox direct origin.test
    rm -f "$receipts"
    "$bench_bin/net_bench" connections "$connections" | sed "s/^/$rep\tinprocess\t/" >>"$samples"

    # What a session costs with one tiny download: taken off the CPU of the aarm-run rows.
    before=$(origin_cpu_ns)
    cpu=$(measure "$scratch/out" "${in_sandbox[@]}" proxy-connect download 1 origin.test "$port")
    printf '%s\tsession\t%s\n' "$rep" "$((cpu + $(origin_cpu_ns) - before))" >>"$samples"
    out=$("${in_sandbox[@]}" direct lookups "$lookups" origin.test "$port")
    printf '%s\tlookup\t%s\n' "$rep" "$out" >>"$samples"
    out=$("$bench_bin/receipt_log_gen" "$key" "$scratch/records.jsonl" "$connections")
    rm -f "$scratch/records.jsonl"
    # "records N WALL_NS CPU_NS", per record.
    printf '%s\trecord\t%s\n' "$rep" "$(cut -d' ' -f4 <<<"$out")" >>"$samples"

    # A rotating order, so that no download always follows the same one.
    runs=("bare bare direct 127.0.0.1" "aarm-connect in_sandbox proxy-connect origin.test"
        "aarm-transparent in_sandbox direct origin.test"
        "bare-1cpu bare direct 127.0.0.1 0" "aarm-connect-1cpu in_sandbox proxy-connect origin.test 0")
    for ((k = 0; k < ${#runs[@]}; ++k)); do
        # shellcheck disable=SC2086  # each entry is the arguments, split on purpose
        download "$rep" ${runs[(k + rep) % ${#runs[@]}]}
    done
    rm -f "$receipts"
    "$bench_bin/net_bench" download "$download_bytes" | sed "s/^/$rep\tinprocess-download\t/" \
        >>"$samples"
done

echo "network: median of $reps interleaved repetitions (±: half the min..max range)"
echo "$machine"
echo "$connections connections per path and run, each a GET of a 2-byte answer on a new" \
    "connection; a $download_mib MiB download per path and run; origin and client on this" \
    "machine's loopback; receipts written to $(df --output=fstype "$scratch" | tail -n1)"
echo
python3 - "$samples" "$here/lib" "$connections" "$download_mib" "$lookups" \
    "$records_per_connection" "$cpus" <<'PY'
import sys
from collections import defaultdict

sys.path.insert(0, sys.argv[2])
from table import median_and_spread, print_table, thousands

connections, download_mib, lookups = (int(x) for x in sys.argv[3:6])
records_per_connection, cpus = float(sys.argv[6]), int(sys.argv[7])
gib = download_mib / 1024
connect = defaultdict(list)  # label: (ns per connection, CPU ns of the run, connections)
inprocess = defaultdict(list)  # path: (ns per connection, CPU ns per connection)
downloads = defaultdict(list)  # label: (ns, CPU ns of all, of the client, of the origin)
inprocess_downloads = defaultdict(list)  # path: (ns, CPU ns of all, of the service)
lookup, record, session = [], [], []
for line in open(sys.argv[1]):
    rep, kind, *fields = line.rstrip("\n").split("\t")
    if kind == "connect":
        label, ns, cpu, total = fields
        connect[label].append((float(ns) / connections, float(cpu), int(total)))
    elif kind == "inprocess":
        inprocess[fields[0]].append((float(fields[1]) / connections,
                                     float(fields[2]) / connections))
    elif kind == "download":
        downloads[fields[0]].append([float(x) for x in fields[1:]])
    elif kind == "inprocess-download":
        inprocess_downloads[fields[0]].append([float(x) for x in fields[1:]])
    elif kind == "lookup":
        lookup.append(float(fields[0]) / lookups)
    elif kind == "record":
        record.append(float(fields[0]))
    elif kind == "session":
        session.append(float(fields[0]))


def median(values):
    return median_and_spread(values)[0]


# aarm-run's own start-up and tear-down, taken off the CPU of the runs through it.
session_ns = median(session)


def session_share(label):
    return session_ns if label.startswith("aarm") else 0


def judged(met, target):
    return f"{'met' if met else 'missed'} ({target})"


labels = {
    "bare": "bare: straight to 127.0.0.1",
    "aarm-get": "aarm-run, HTTP proxy, GET http://",
    "aarm-connect": "aarm-run, HTTP proxy, CONNECT",
    "aarm-transparent": "aarm-run, transparent path",
}
inprocess_labels = {
    "bare": "in-process (net_bench): direct",
    "floor": "in-process: forwarding floor, GET (no service)",
    "floor-connect": "in-process: forwarding floor, CONNECT",
    "http-connect": "in-process: HTTP proxy, CONNECT",
    "http-get": "in-process: HTTP proxy, GET http://",
    "socks5": "in-process: SOCKS5 proxy",
}
rows, added = [], {}
bare_ns = median([v[0] for v in connect["bare"]])
for label, name in labels.items():
    ns, spread = median_and_spread([v[0] for v in connect[label]])
    added[label] = (ns - bare_ns) / 1000
    rows.append([name, thousands(1e9 / ns), f"{ns / 1000:,.0f} ±{spread:.0%}",
                 "" if label == "bare" else f"{added[label]:+,.0f}",
                 f"{median([(v[1] - session_share(label)) / v[2] for v in connect[label]]) / 1000:,.0f}"])
inprocess_bare = median([v[0] for v in inprocess["bare"]])
inprocess_added = {}
for path, name in inprocess_labels.items():
    ns, spread = median_and_spread([v[0] for v in inprocess[path]])
    inprocess_added[path] = (ns - inprocess_bare) / 1000
    rows.append([name, thousands(1e9 / ns), f"{ns / 1000:,.0f} ±{spread:.0%}",
                 "" if path == "bare" else f"{inprocess_added[path]:+,.0f}",
                 f"{median([v[1] for v in inprocess[path]]) / 1000:,.0f}"])
print_table(["connection (small GET)", "per second", "µs each", "added µs", "CPU µs each"], rows)
record_us = median(record) / 1000
print()
print(f"- recording: {records_per_connection:g} signed receipts per connection through aarm-run"
      f" (its decision, before the dial, and its close); the receipt log alone spends"
      f" {record_us:,.0f} µs of CPU per record (receipt_log_gen, this run): about"
      f" {records_per_connection * record_us:,.0f} µs of each connection's CPU, {record_us:,.0f}"
      f" of it on the connection's path")
print(f"- the least any proxy in the service's place adds (the forwarding floor: one blocking"
      f" thread that reads the head, dials and copies the answer, deciding nothing):"
      f" {inprocess_added['floor']:+,.0f} µs for a GET, {inprocess_added['floor-connect']:+,.0f}"
      f" for a CONNECT; the service in-process adds"
      f" {inprocess_added['http-get'] - inprocess_added['floor']:+,.0f} and"
      f" {inprocess_added['http-connect'] - inprocess_added['floor-connect']:+,.0f} µs to them")
print(f"- an aarm-run session by itself (start-up and tear-down, a 1-byte download) costs"
      f" {session_ns / 1e6:,.0f} ms of CPU, taken off the aarm-run rows")
print(f"- a name lookup inside the sandbox (getaddrinfo of origin.test, the sandbox's resolver):"
      f" {median(lookup) / 1000:,.0f} µs")
print()

rows = []
bare_rate = download_mib / (median([v[0] for v in downloads["bare"]]) / 1e9)
download_labels = {
    "bare": "bare",
    "aarm-connect": "aarm-run, HTTP proxy, CONNECT",
    "aarm-transparent": "aarm-run, transparent path",
    "bare-1cpu": "bare, one CPU",
    "aarm-connect-1cpu": "aarm-run, CONNECT, one CPU",
}
ratio = {}
for label, name in download_labels.items():
    values = downloads[label]
    rate, spread = median_and_spread([download_mib / (v[0] / 1e9) for v in values])
    base = bare_rate if not label.endswith("1cpu") else download_mib / (
        median([v[0] for v in downloads["bare-1cpu"]]) / 1e9)
    ratio[label] = rate / base
    cpu_all = median([v[1] - session_share(label) for v in values]) / 1e6 / gib
    cpu_client, cpu_origin = (median([v[i] for v in values]) / 1e6 / gib for i in (2, 3))
    rest = cpu_all - cpu_client - cpu_origin
    rows.append([name, f"{thousands(rate)} ±{spread:.0%}", f"{rate / base:.0%}",
                 thousands(cpu_all), thousands(cpu_client), thousands(cpu_origin),
                 thousands(rest) if label.startswith("aarm") else ""])
in_bare = None
for path, name in (("bare", "in-process (net_bench): direct"),
                   ("http-connect", "in-process: HTTP proxy, CONNECT")):
    values = inprocess_downloads[path]
    rate, spread = median_and_spread([download_mib / (v[0] / 1e9) for v in values])
    in_bare = in_bare or rate
    cpu_all, service = (median([v[i] for v in values]) / 1e6 / gib for i in (1, 2))
    rows.append([name, f"{thousands(rate)} ±{spread:.0%}", f"{rate / in_bare:.0%}",
                 thousands(cpu_all), "", "", thousands(service) if path != "bare" else ""])
print_table([f"download, {download_mib} MiB", "MiB/s", "of bare", "CPU ms/GiB, all", "client",
             "origin", "rest (aarm-run: supervisor)"], rows)
print()

worst_added = max(added[label] for label in labels if label != "bare")
measured = ", ".join(f"{name} {added[label]:+,.0f}" for label, name in
                     (("aarm-get", "HTTP proxy GET"), ("aarm-connect", "CONNECT"),
                      ("aarm-transparent", "transparent")))
print(f"- added latency per connection under 200 µs: {judged(worst_added < 200, measured + ' µs')}")
connect_ratio = f"CONNECT {ratio['aarm-connect']:.0%}"
print(f"- bulk throughput at least 80% of bare: {judged(ratio['aarm-connect'] >= 0.8, connect_ratio)},"
      f" transparent {ratio['aarm-transparent']:.0%}; on one CPU, where the rate is the CPU"
      f" cost alone, {ratio['aarm-connect-1cpu']:.0%}")
PY
