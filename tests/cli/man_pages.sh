#!/usr/bin/env bash
# The man pages in man/: each renders without a groff warning, and the pages of the two commands
# name every long option and subcommand their --help prints, so the pages cannot fall behind the
# command line. TAP output; exit 1 when any check fails.
#
# usage: man_pages.sh AARM_RUN AARM SOURCE_DIR
set -uo pipefail

# shellcheck source=tests/cli/lib.sh
source "$(dirname "$0")/lib.sh"
man_dir=$source_dir/man

pages=(aarm-run.1 aarm.1 aarm-profile.5 aarm-receipts.5)

# renders PAGE: groff formats it with every warning enabled and prints none.
renders() {
    local warnings
    warnings=$(groff -ww -man -Tutf8 "$man_dir/$1" 2>&1 >/dev/null) || return 1
    [[ -z $warnings ]] && return 0
    local line
    while IFS= read -r line; do echo "# $line"; done <<<"$warnings"
    return 1
}

# names PAGE WORD...: the rendered PAGE holds every WORD as a word of its own; names the missing.
names() {
    local page=$1 text word missing=()
    shift
    text=$(MANWIDTH=200 groff -man -Tascii -P-cbou "$man_dir/$page" 2>/dev/null)
    for word; do
        grep -qE -- "(^|[^[:alnum:]-])${word}([^[:alnum:]-]|$)" <<<"$text" || missing+=("$word")
    done
    ((${#missing[@]} == 0)) && return 0
    echo "# $page lacks: ${missing[*]}"
    return 1
}

for page in "${pages[@]}"; do
    check "$page exists" test -f "$man_dir/$page"
done

if command -v groff >/dev/null; then
    for page in "${pages[@]}"; do
        check "$page renders without warnings" renders "$page"
    done
    mapfile -t run_words < <(long_options "$aarm_run")
    mapfile -t aarm_words < <(aarm_words)
    check "aarm-run --help lists options (${#run_words[@]})" test "${#run_words[@]}" -ge 10
    check "aarm --help lists subcommands and options (${#aarm_words[@]})" test "${#aarm_words[@]}" -ge 10
    check "aarm-run.1 names every option of aarm-run --help" names aarm-run.1 "${run_words[@]}"
    check "aarm.1 names every subcommand and option of aarm --help" names aarm.1 "${aarm_words[@]}"
    check "aarm-run.1 names the exit statuses 125, 126, 127 and 128+N" \
        names aarm-run.1 125 126 127 '128\+N'
else
    skip "man pages render" "groff is not installed"
fi

finish
