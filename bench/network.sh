#!/usr/bin/env bash
# What the network service adds (proxy mode): connections per second and the time each
# connection gains through the HTTP proxy (CONNECT, and an absolute GET) and the SOCKS5 proxy,
# beside connecting directly; and a bulk download through a CONNECT tunnel beside the same
# download direct. net_bench runs the service in-process on the loopback, deciding each
# connection against a compiled profile, with an observer that keeps nothing: the receipt
# log's cost is bench/receipts.sh's. Each connection is a small request and answer, one after
# another. The download also reports the CPU time the whole process spent per GiB (origin,
# service and client together) and the service's share of it: where the machine has fewer free
# cores than the three busy threads, the wall-clock rate measures their contention more than
# the relay, and a core of relay carries 1 GiB per its CPU time. (On the loopback the kernel
# does part of the relay's receiving in the sending thread, so the service's share is a lower
# bound.) Repetitions are interleaved; the tables hold medians and their spread.
#
# usage: bench/network.sh [BIN_DIR]   BIN_DIR holds bench/net_bench (default ./build/bin)
# environment: BENCH_REPS (default 5), BENCH_CONNECTIONS (per path and run, default 2000),
#              BENCH_DOWNLOAD_MIB (default 1024)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib/common.bash
source "$here/lib/common.bash"

bench_require python3
dir=${1:-./build/bin}
[[ -x $dir/bench/net_bench ]] || bench_die "no bench/net_bench in $dir; build first, or pass the bin directory"
net_bench=$(cd "$dir" && pwd)/bench/net_bench
reps=${BENCH_REPS:-5}
connections=${BENCH_CONNECTIONS:-2000}
download_mib=${BENCH_DOWNLOAD_MIB:-1024}
for setting in reps connections download_mib; do
    [[ ${!setting} =~ ^[1-9][0-9]*$ ]] || bench_die "$setting must be a positive number"
done
samples=$(mktemp)
trap 'rm -f "$samples"' EXIT

machine=$(bench_machine)
for ((rep = 0; rep < reps; rep++)); do
    "$net_bench" connections "$connections" | sed "s/^/$rep\tconnect\t/" >>"$samples"
    "$net_bench" download $((download_mib << 20)) | sed "s/^/$rep\tdownload\t/" >>"$samples"
done

echo "$machine"
echo "$connections connections per path and run, a $download_mib MiB download per path and" \
    "run, $reps runs; everything on the loopback of this machine"
echo
python3 - "$samples" "$here/lib" "$connections" "$download_mib" <<'PY'
import sys
from collections import defaultdict

sys.path.insert(0, sys.argv[2])
from table import median_and_spread, print_table, thousands

samples = defaultdict(list)
cpu = defaultdict(list)
service_cpu = defaultdict(list)
for line in open(sys.argv[1]):
    rep, test, path, ns, *cpu_ns = line.rstrip("\n").split("\t")
    samples[(test, path)].append(float(ns))
    if cpu_ns:
        cpu[path].append(float(cpu_ns[0]))
        service_cpu[path].append(float(cpu_ns[1]))
connections, download_mib = int(sys.argv[3]), int(sys.argv[4])
labels = {
    "bare": "direct",
    "http-connect": "HTTP proxy, CONNECT",
    "http-get": "HTTP proxy, GET http://",
    "socks5": "SOCKS5 proxy",
}

per_connection = {path: median_and_spread([ns / connections for ns in values])
                  for (test, path), values in samples.items() if test == "connect"}
bare_ns = per_connection["bare"][0]
rows = []
for path in ["bare", "http-connect", "http-get", "socks5"]:
    ns, spread = per_connection[path]
    added = "" if path == "bare" else f"{(ns - bare_ns) / 1000:+,.0f}"
    rows.append([labels[path], thousands(1e9 / ns), f"{ns / 1000:,.0f} ±{spread:.0%}", added])
print_table(["connections", "per second", "µs each", "added µs"], rows)
print()

rates = {path: median_and_spread([download_mib / (ns / 1e9) for ns in values])
         for (test, path), values in samples.items() if test == "download"}
bare_rate = rates["bare"][0]
def per_gib(values):
    return median_and_spread([ns / 1e6 / (download_mib / 1024) for ns in values])


cpu_per_gib = {path: per_gib(values) for path, values in cpu.items()}
bare_cpu = cpu_per_gib["bare"][0]
rows = []
for path in ["bare", "http-connect"]:
    rate, spread = rates[path]
    cpu_ms, cpu_spread = cpu_per_gib[path]
    service_ms, service_spread = per_gib(service_cpu[path])
    rows.append([f"{labels[path]}, {download_mib} MiB", f"{thousands(rate)} ±{spread:.0%}",
                 f"{rate / bare_rate:.0%}", f"{thousands(cpu_ms)} ±{cpu_spread:.0%}",
                 f"{bare_cpu / cpu_ms:.0%}",
                 "" if path == "bare" else f"{thousands(service_ms)} ±{service_spread:.0%}"])
print_table(["download", "MiB/s", "of direct", "CPU ms/GiB, all", "direct's CPU / this",
             "CPU ms/GiB, service"], rows)
PY
