# shellcheck shell=bash
# shellcheck disable=SC2034  # aarm_run, source_dir: used by the scripts that source this file
# Shared by the checks in tests/cli/: TAP output, and what a CLI11 --help text lists.
# Sourced, not run. The sourcing script is called as: SCRIPT AARM_RUN AARM SOURCE_DIR.

if (($# != 3)); then
    echo "usage: $0 AARM_RUN AARM SOURCE_DIR" >&2
    exit 2
fi
aarm_run=$1
aarm=$2
source_dir=$3

tap_count=0
tap_failed=0
ok() { tap_count=$((tap_count + 1)); echo "ok $tap_count - $1"; }
not_ok() { tap_count=$((tap_count + 1)); tap_failed=$((tap_failed + 1)); echo "not ok $tap_count - $1"; }
skip() { tap_count=$((tap_count + 1)); echo "ok $tap_count - $1 # SKIP $2"; }
# check DESCRIPTION COMMAND...: one test point, passed when COMMAND succeeds.
check() {
    local description=$1
    shift
    if "$@"; then ok "$description"; else not_ok "$description"; fi
}
# finish: the plan and the tally; the status for the script to exit with.
finish() {
    echo "1..$tap_count"
    echo "$((tap_count - tap_failed)) passed, $tap_failed failed"
    ((tap_failed == 0))
}

# long_options COMMAND...: the long options COMMAND --help lists, one per line.
long_options() {
    "$@" --help | sed -nE 's/^ +(-[[:alnum:]],)?(--[a-z][a-z0-9-]*).*/\2/p' | sort -u
}
# subcommands COMMAND...: the subcommands COMMAND --help lists.
subcommands() {
    "$@" --help | sed -n '/^Subcommands:/,$p' | sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p'
}
# aarm_words: every subcommand and long option of aarm and of its subcommands, one per line.
aarm_words() {
    local sub
    long_options "$aarm"
    subcommands "$aarm"
    for sub in $(subcommands "$aarm"); do
        long_options "$aarm" "$sub"
        subcommands "$aarm" "$sub"
    done
}
