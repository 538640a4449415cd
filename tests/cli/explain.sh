#!/usr/bin/env bash
# aarm profile explain, run for real: which rule or built-in decides file, exec and net.*
# actions, how a connection to a name is decided by the name and then by its address, what the
# match line shows, and how malformed actions are refused. TAP output; exit 1 when a check fails.
#
# usage: explain.sh AARM_RUN AARM SOURCE_DIR
set -uo pipefail

# shellcheck source=tests/cli/lib.sh
source "$(dirname "$0")/lib.sh"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
unset AARM_PROFILE_DIR

# A project, so that {project} is known, with a profile of its own.
mkdir -p "$scratch/project/.git" "$scratch/project/.aarm"
project=$(cd "$scratch/project" && pwd -P)
cat >"$project/.aarm/profile.toml" <<'EOF'
version = 1
extends = "default"

[network]
hosts = { "api.staging.test" = "127.0.0.1" }

[[rule]]
id = "staging-api"
on = "net.connect"
match = { host = "api.staging.test", port = 8080 }
decision = "allow"

[[rule]]
id = "no-ten"
on = "net.connect"
match = { host = ["10.0.0.0/8", "fd00::/8"], port = ["22", "8000-8999"] }
decision = "deny"
reason = "no internal services"

[[rule]]
id = "docker"
on = ["net.connect", "net.bind"]
match = { path = "/var/run/docker.sock" }
decision = "allow"
EOF
cat >"$scratch/host.toml" <<'EOF'
version = 1
[network]
mode = "host"
allow = ["140.82.112.0/20:443"]
EOF
project_profile=$project/.aarm/profile.toml

out=
status=
# explain PROFILE WORD...: runs aarm profile explain in the project; leaves stdout and stderr in
# $out and the exit status in $status.
explain() {
    local profile=$1
    shift
    out=$(cd "$project" && "$aarm" profile explain "$profile" -- "$@" 2>&1)
    status=$?
}
# show_output: $out as TAP comments.
show_output() {
    local line
    while IFS= read -r line; do echo "#   $line"; done <<<"$out"
}
# has PATTERN...: every extended regular expression matches a line of $out; prints $out when not.
has() {
    local pattern
    for pattern; do
        if ! grep -qE -- "$pattern" <<<"$out"; then
            echo "# no line matches: $pattern"
            show_output
            return 1
        fi
    done
}
# lacks PATTERN: no line of $out matches.
lacks() {
    if grep -qE -- "$1" <<<"$out"; then
        echo "# a line matches: $1"
        show_output
        return 1
    fi
}
# decides STATUS PATTERN...: the last explain exited with STATUS and printed every PATTERN.
decides() {
    local expected=$1
    shift
    if [[ $status != "$expected" ]]; then
        echo "# exit status $status, not $expected"
        show_output
        return 1
    fi
    has "$@"
}

# ---- connections to a name ---------------------------------------------------------------------

explain default net.connect github.com:443
check "a name: decided by the name first, by an allow entry named with its place" \
    decides 0 "^action:    net\.connect host 'github\.com' port 443$" \
    "^step 1:    by the name, before it is looked up$" "^decision:  allow$" \
    "^rule:      network\.allow \(built-in: an entry of \[network\] allow\)$" \
    "^match:     allow entry 'github\.com:443' at .*/default\.toml:[0-9]+:[0-9]+$" \
    "^reason:    github\.com:443$" "^step 2:    the address the name resolves to is decided next" \
    "^outcome:   allow by the name; the address it resolves to decides$" \
    "^network:   mode proxy"

explain default net.connect GitHub.com.:443 140.82.112.3
check "a name and the address it resolved to: both steps, the address decides" \
    decides 0 "^action:    net\.connect host 'github\.com' port 443$" \
    "^step 2:    with the address 140\.82\.112\.3, the address given$" "^outcome:   allow$"

explain default net.connect github.com:443 127.0.0.1
check "an allowed name that resolves to loopback is forbidden at step 2" \
    decides 0 "^step 1:    by the name" "^decision:  allow$" \
    "^rule:      network\.host-loopback \(built-in: a forbidden address, reachable only where" \
    "^reason:    127\.0\.0\.1 is the host's own loopback" \
    "^outcome:   deny \(forbidden: nothing overrides it, not even --audit\)$"

explain default net.connect example.com:443 93.184.216.34
check "a name no entry allows: network.default at step 1, never looked up" \
    decides 0 "^decision:  deny$" \
    "^rule:      network\.default \(built-in: \[network\] default = \"deny\": no rule or allow entry matches\)$" \
    "^step 2:    none: a name denied is never looked up$" "^outcome:   deny$"

explain "$project_profile" net.connect api.staging.test:8080
check "a pinned name: step 2 with the pinned address, which the pin exempts" \
    decides 0 "^rule:      staging-api at .*/profile\.toml:[0-9]+:1 \(allow\)$" \
    "^match:     on net\.connect; host 'api\.staging\.test'; port 8080$" \
    "^step 2:    with the address 127\.0\.0\.1, which \[network\] hosts pins the name to$" \
    "^outcome:   allow$"

explain "$project_profile" net.connect api.staging.test:8080 10.0.0.1
check "an address other than the pinned one says what the resolver answers" \
    decides 0 "^step 2:    with the address 10\.0\.0\.1, the address given \(the sandbox's resolver answers the name with 127\.0\.0\.1" \
    "^outcome:   allow$"

explain readonly net.connect github.com:443
check "mode none: forbidden by network.mode at step 1" \
    decides 0 "^rule:      network\.mode \(built-in: \[network\] mode = \"none\"" \
    "^decision:  deny \(forbidden" "^step 2:    none" "^network:   mode none"

explain "$scratch/host.toml" net.connect github.com:443 140.82.112.3
check "mode host: decided once, by the address alone" \
    decides 0 "^by:        the address 140\.82\.112\.3 alone$" "^decision:  allow$" \
    "^match:     allow entry '140\.82\.112\.0/20:443'" "^network:   mode host"
check "mode host: no step by name" lacks "^step"

explain "$scratch/host.toml" net.connect github.com:443
check "mode host without an address: asks for it" \
    decides 0 "^decision:  by the address alone, which is not known here; give it after the name: net\.connect github\.com:443 ADDRESS$"

# ---- connections to an address -----------------------------------------------------------------

explain default net.connect 169.254.169.254:80
check "the metadata service: network.metadata, named as a built-in" \
    decides 0 "^action:    net\.connect address 169\.254\.169\.254 port 80$" \
    "^decision:  deny \(forbidden" \
    "^rule:      network\.metadata \(built-in: a forbidden address" \
    "^reason:    169\.254\.169\.254 is the cloud metadata service"
check "an address alone takes one step" lacks "^step"

explain default net.connect '[64:ff9b::169.254.169.254]:80'
check "NAT64: the metadata service through the well-known prefix" \
    decides 0 "^action:    net\.connect address 64:ff9b::a9fe:a9fe \(169\.254\.169\.254 through NAT64\) port 80$" \
    "^rule:      network\.metadata \(built-in"

explain default net.connect '[::127.0.0.1]:631'
check "the IPv4-compatible form of loopback is the host's loopback" \
    decides 0 "\(127\.0\.0\.1 through the IPv4-compatible form\)" \
    "^rule:      network\.host-loopback \(built-in"

explain "$project_profile" net.connect '[fd00::5]:8080'
check "an IPv6 address in brackets, matched by a rule's range" \
    decides 0 "^action:    net\.connect address fd00::5 port 8080$" \
    "^rule:      no-ten at .*/profile\.toml:[0-9]+:1 \(deny\)$" \
    "^match:     on net\.connect; host '10\.0\.0\.0/8' 'fd00::/8'; port 22 8000-8999$" \
    "^reason:    no internal services$"

explain default net.connect '[::ffff:140.82.112.3]:443'
check "an IPv4-mapped address is shown in its IPv4 form" \
    decides 0 "^action:    net\.connect address 140\.82\.112\.3 port 443$" \
    "^rule:      network\.default \(built-in"

explain default net.send 10.1.2.3:53
check "net.send to an address" decides 0 "^action:    net\.send address 10\.1\.2\.3 port 53$" \
    "^rule:      network\.default"

explain default net.bind 0.0.0.0
check "net.bind without a port: port 0, and allow entries never allow a bind" \
    decides 0 "^action:    net\.bind address 0\.0\.0\.0 port 0$" "^rule:      network\.default"

explain default net.bind ::
check "net.bind to an IPv6 address without brackets" \
    decides 0 "^action:    net\.bind address :: port 0$"

# ---- unix sockets ------------------------------------------------------------------------------

explain "$project_profile" net.connect unix:/var/run/docker.sock
check "a unix socket a rule allows, and where it is in the view" \
    decides 0 "^action:    net\.connect unix socket '/var/run/docker\.sock'$" \
    "^rule:      docker at .*\(allow\)$" "^match:     on net\.connect net\.bind; path '/var/run/docker\.sock'$" \
    "^view:      '/var/run/docker\.sock' is outside the sandbox's view"

explain default net.connect unix:/run/dbus/system_bus_socket
check "a host service's unix socket: network.unix-socket" \
    decides 0 "^rule:      network\.unix-socket \(built-in: a unix socket no rule decides\)$" \
    "^decision:  deny$"

explain default net.connect unix:build/app.sock
check "a socket of the project's own, by a relative path" \
    decides 0 "^action:    net\.connect unix socket '$project/build/app\.sock'$" \
    "^decision:  allow$" "^view:      '$project/build/app\.sock' is writable"

explain default net.connect unix:@/tmp/.X11-unix/X0
check "an abstract socket in mode proxy: the sandbox's own" \
    decides 0 "^action:    net\.connect abstract unix socket$" "^decision:  allow$" \
    "^rule:      network\.unix-socket"

# ---- files and programs ------------------------------------------------------------------------

explain default file.write .envrc
check "a read-only path: filesystem.readonly, the entry that holds it" \
    decides 0 "^decision:  deny \(forbidden" \
    "^rule:      filesystem\.readonly \(built-in: \[filesystem\] readonly: nothing at or below these paths may be changed\)$" \
    "^match:     filesystem\.readonly '\{project\}/\.envrc'$"

explain default file.rename notes.txt "$HOME/.ssh/config"
check "a rename into a hidden path: filesystem.hide, by the destination" \
    decides 0 "^rule:      filesystem\.hide \(built-in" "^match:     filesystem\.hide '\{home\}/\.ssh'$"

explain default file.read README.md
check "no rule: session.default decides" \
    decides 0 "^rule:      none matches; session\.default decides$" "^reason:    session default$"
check "a file action has no network line" lacks "^network:"

# ---- malformed actions -------------------------------------------------------------------------

malformed() {
    local expected=$1
    shift
    explain default "$@"
    decides 2 "^aarm: $expected"
}
check "net.connect without a port" malformed "net\.connect needs a port: net\.connect HOST:PORT" \
    net.connect github.com
check "a port out of range" malformed "'github\.com:65536' has the port '65536', which is not a number" \
    net.connect github.com:65536
check "an unclosed bracket" malformed "'\[::1' has a '\[' that is never closed" net.connect '[::1'
check "brackets around a name" malformed "'\[github\.com\]:443' has brackets around something" \
    net.connect '[github.com]:443'
check "a bind to a name" malformed "net\.bind takes an address, not a name" net.bind github.com:80
check "a send to a name" malformed "net\.send takes an address, not a name" net.send github.com:53
check "neither a name nor an address" malformed "'a b' is not a host name or an IP address" \
    net.connect 'a b:80'
check "an address after an address" malformed "net\.connect needs " \
    net.connect 10.0.0.1:80 10.0.0.2
check "a resolved address that is not one" malformed "'127\.1' is not an IP address \(the address 'github\.com' resolves to\)" \
    net.connect github.com:443 127.1
check "unix: without a path" malformed "unix: needs a socket's path" net.connect unix:
check "an empty port" malformed "'github\.com:' has the port ''" net.connect github.com:
check "a send without a port" malformed "net\.send needs a port" net.send 10.0.0.1

# Hostile names: one line each, escaped, never a raw control byte on the terminal.
# no_raw_control: $out holds no byte below 0x20 but the newlines between lines.
no_raw_control() {
    if LC_ALL=C grep -q $'[\x01-\x09\x0b-\x1f\x7f]' <<<"$out"; then
        echo "# a raw control byte reached the terminal"
        show_output | cat -v
        return 1
    fi
}
hostile() {
    local expected=$1
    shift
    explain default "$@"
    decides 2 "^aarm: $expected" && no_raw_control && [[ $(wc -l <<<"$out") == 1 ]]
}
check "an escape sequence in a host" hostile "'evil\\\\x1b\[31m\.test' is not a host name" \
    net.connect $'evil\e[31m.test:443'
check "a newline in a host" hostile "'a\\\\nb' is not a host name" net.connect $'a\nb:443'
check "bytes that are not UTF-8 in a host" hostile "'\\\\xff\\\\xfe' is not a host name" \
    net.connect $'\xff\xfe:443'
check "a 4 KiB host is cut" hostile "'xxxxxxxx.*\.\.\.' is not a host name" \
    net.connect "$(printf 'x%.0s' {1..4096}):443"
explain default net.connect $'unix:/tmp/\e]0;x\a.sock'
check "an escape sequence in a unix path is shown escaped" decides 0 "\\\\x1b\]0;x\\\\x07" 
check "  ...and never raw" no_raw_control

finish
