#!/usr/bin/env bash
# The shell completions in completions/: bash completes options, profile names and COMMAND; the
# zsh and fish files parse and complete the same (where those shells are installed); and every
# long option and subcommand the binaries' --help prints is in every completion file, so the
# files cannot fall behind the command line. TAP output; exit 1 when any check fails.
#
# usage: completions.sh AARM_RUN AARM SOURCE_DIR
set -uo pipefail

# shellcheck source=tests/cli/lib.sh
source "$(dirname "$0")/lib.sh"
completions=$source_dir/completions
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
unset AARM_PROFILE_DIR

# contains WORD LIST...: WORD is one of LIST.
contains() {
    local word=$1 item
    shift
    for item; do [[ $item == "$word" ]] && return 0; done
    return 1
}

# ---- bash ------------------------------------------------------------------------------------

# bash_complete FUNCTION WORD...: runs the completion function as bash would for a command line
# whose last WORD is being typed, and leaves the candidates in COMPREPLY.
bash_complete() {
    local function=$1
    shift
    COMP_WORDS=("$@")
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    COMP_LINE="$*"
    COMP_POINT=${#COMP_LINE}
    COMPREPLY=()
    "$function"
}
# offers FUNCTION CANDIDATE WORD...: completing WORD... offers CANDIDATE.
offers() {
    local function=$1 candidate=$2
    shift 2
    bash_complete "$function" "$@"
    contains "$candidate" "${COMPREPLY[@]}"
}
# lacks FUNCTION CANDIDATE WORD...: completing WORD... does not offer CANDIDATE.
lacks() {
    local function=$1 candidate=$2
    shift 2
    bash_complete "$function" "$@"
    ! contains "$candidate" "${COMPREPLY[@]}"
}

# shellcheck source=/dev/null
source "$completions/bash/aarm-run"
# shellcheck source=/dev/null
source "$completions/bash/aarm"
registered() { complete -p aarm-run >/dev/null && complete -p aarm >/dev/null; }
check "bash: aarm-run and aarm have completion functions" registered

check "bash: --pro completes to --profile" offers _aarm_run --profile aarm-run --pro
shipped_profiles_offered() {
    offers _aarm_run default "$aarm_run" -p "" && offers _aarm_run readonly "$aarm_run" -p ""
}
check "bash: -p offers the shipped profiles next to the binary" shipped_profiles_offered
check "bash: --profile=VALUE completes the value" offers _aarm_run default "$aarm_run" --profile = def
check "bash: --log-level offers the levels" offers _aarm_run warn aarm-run --log-level w
check "bash: the word after -- is a command" offers _aarm_run echo aarm-run -v -- ech
check "bash: the first word that is no option is the command" \
    offers _aarm_run echo aarm-run -p default --intent "fix the tests" ech
check "bash: after COMMAND, aarm-run's own options are not offered" \
    lacks _aarm_run --profile aarm-run -- ls --pro

mkdir -p "$scratch/profiles"
touch "$scratch/profiles/team.toml" "$scratch/profiles/with space.toml" "$scratch/profiles/notes.txt"
profile_dir_replaces_shipped() {
    local AARM_PROFILE_DIR=$scratch/profiles
    export AARM_PROFILE_DIR
    offers _aarm_run team "$aarm_run" -p "" && lacks _aarm_run default "$aarm_run" -p ""
}
only_profile_names_offered() {
    local AARM_PROFILE_DIR=$scratch/profiles
    export AARM_PROFILE_DIR
    lacks _aarm_run "with space" aarm-run -p "" && lacks _aarm_run notes aarm-run -p ""
}
check "bash: \$AARM_PROFILE_DIR replaces the shipped directory" profile_dir_replaces_shipped
check "bash: files that are no profile name are not offered as names" only_profile_names_offered
check "bash: -p offers TOML files" offers _aarm_run "$scratch/profiles/team.toml" aarm-run -p "$scratch/profiles/te"

aarm_subcommands_offered() {
    offers _aarm verify aarm "" && offers _aarm profile aarm "" && offers _aarm keygen aarm ""
}
check "bash: aarm offers its subcommands" aarm_subcommands_offered
check "bash: aarm profile offers list and check" offers _aarm check aarm profile ""
check "bash: aarm profile check offers profile names" offers _aarm default "$aarm" profile check ""
verify_options_offered() {
    offers _aarm --expect-head aarm verify -- && offers _aarm --key aarm verify --
}
check "bash: aarm verify offers its options" verify_options_offered
check "bash: aarm keygen offers --force" offers _aarm --force aarm keygen --f

mkdir -p "$scratch/run"
touch "$scratch/run/app.sock"
net_kinds_offered() {
    offers _aarm net.connect aarm profile explain default -- net. &&
        offers _aarm net.send aarm profile explain default -- net. &&
        offers _aarm net.bind aarm profile explain default -- net.
}
check "bash: aarm profile explain offers the net.* kinds" net_kinds_offered
check "bash: a net.* destination offers unix:" \
    offers _aarm unix: aarm profile explain default -- net.connect ""
check "bash: a net.* destination is no file" \
    lacks _aarm "$scratch/run/" aarm profile explain default -- net.send "$scratch/r"
check "bash: unix: completes a socket's path" \
    offers _aarm "unix:$scratch/run/app.sock" aarm profile explain default -- net.connect "unix:$scratch/run/a"
# Readline cuts "unix:PATH" at ':' into three words; the candidate replaces only the last.
socket_path_cut_at_colon() {
    COMP_WORDS=(aarm profile explain default -- net.bind unix : "$scratch/run/a")
    COMP_CWORD=8
    COMP_LINE="aarm profile explain default -- net.bind unix:$scratch/run/a"
    COMP_POINT=${#COMP_LINE}
    COMPREPLY=()
    _aarm
    contains "$scratch/run/app.sock" "${COMPREPLY[@]}"
}
check "bash: unix: completes a socket's path cut at ':'" socket_path_cut_at_colon

# ---- every option and subcommand of --help, in every file ---------------------------------------

# in_file FILE SHELL WORD: WORD (an option "--x" or a subcommand) is completed by FILE.
in_file() {
    local file=$1 shell=$2 word=$3
    if [[ $shell == fish && $word == --* ]]; then
        grep -qE -- "(^|[[:space:]])-l ${word#--}([[:space:]]|$)" "$file"
    else
        grep -qE -- "(^|[^[:alnum:]-])${word}([^[:alnum:]-]|$)" "$file"
    fi
}
# all_in_file FILE SHELL WORD...: every WORD is completed by FILE; names the missing ones.
all_in_file() {
    local file=$1 shell=$2 word missing=()
    shift 2
    for word; do in_file "$file" "$shell" "$word" || missing+=("$word"); done
    ((${#missing[@]} == 0)) && return 0
    echo "# ${file#"$completions"/} lacks: ${missing[*]}"
    return 1
}

mapfile -t run_options < <(long_options "$aarm_run")
mapfile -t aarm_words < <(aarm_words)
check "aarm-run --help names options (${#run_options[@]})" test "${#run_options[@]}" -ge 10
check "aarm --help names subcommands and options (${#aarm_words[@]})" test "${#aarm_words[@]}" -ge 10
for shell_file in bash:bash/aarm-run zsh:zsh/_aarm-run fish:fish/aarm-run.fish; do
    check "${shell_file#*:} completes every option of aarm-run --help" \
        all_in_file "$completions/${shell_file#*:}" "${shell_file%%:*}" "${run_options[@]}"
done
for shell_file in bash:bash/aarm zsh:zsh/_aarm fish:fish/aarm.fish; do
    check "${shell_file#*:} completes every subcommand and option of aarm --help" \
        all_in_file "$completions/${shell_file#*:}" "${shell_file%%:*}" "${aarm_words[@]}"
done

# ---- zsh -------------------------------------------------------------------------------------

# zsh_complete LINE: the candidates zsh's completion system offers at the end of LINE, one per
# line. An interactive zsh on a pseudo-terminal takes a TAB; compadd is wrapped to print what is
# offered, and the shell exits once completion is done.
zsh_complete() {
    cat >"$scratch/complete.zsh" <<'ZSH'
zmodload zsh/zpty || exit 1
zpty z zsh -f -i
zpty -w z "PROMPT= ; fpath=($1 \$fpath); autoload -U compinit; compinit -u -D"
zpty -w z 'comppostfuncs=(exit)'
zpty -w z 'compadd() {
  if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then builtin compadd "$@"; return; fi
  local -a hits
  builtin compadd -A hits "$@"
  (( $#hits )) && print -rl -- "<candidate>"${^hits}"</candidate>"
}'
zpty -w z 'bindkey "^I" complete-word'
zpty -w z "$2"$'\t'
while zpty -r z; do :; done
ZSH
    timeout 20 zsh -f "$scratch/complete.zsh" "$completions/zsh" "$1" |
        grep -ao '<candidate>[^<]*</candidate>' | sed 's/^<candidate>//; s/<\/candidate>$//'
}
# zsh_offers CANDIDATE LINE
zsh_offers() {
    local -a got
    mapfile -t got < <(zsh_complete "$2")
    contains "$1" "${got[@]}"
}

if command -v zsh >/dev/null; then
    check "zsh: _aarm-run parses" zsh -n "$completions/zsh/_aarm-run"
    check "zsh: _aarm parses" zsh -n "$completions/zsh/_aarm"
    if zsh -fc 'zmodload zsh/zpty' 2>/dev/null && command -v timeout >/dev/null; then
        check "zsh: -p offers the shipped profiles" zsh_offers default "$aarm_run -p "
        check "zsh: --log-level= offers the levels" zsh_offers debug "aarm-run --log-level="
        check "zsh: the word after -- is a command" zsh_offers echo "aarm-run -v -- ech"
        check "zsh: aarm offers its subcommands" zsh_offers verify "aarm "
        check "zsh: aarm profile check offers profile names" \
            zsh_offers readonly "$aarm profile check "
        check "zsh: aarm verify offers its options" zsh_offers --expect-head "aarm verify --"
        check "zsh: aarm profile explain offers the net.* kinds" \
            zsh_offers net.connect "aarm profile explain default -- net."
        check "zsh: unix: completes a socket's path" \
            zsh_offers app.sock "aarm profile explain default -- net.connect unix:$scratch/run/"
    else
        skip "zsh: completing a command line" "zsh has no zpty module here"
    fi
else
    skip "zsh: _aarm-run and _aarm" "zsh is not installed"
fi

# ---- fish ------------------------------------------------------------------------------------

# fish_offers CANDIDATE LINE: completing LINE in fish offers CANDIDATE.
fish_offers() {
    local -a got
    mapfile -t got < <(fish --no-config -c "source '$completions/fish/aarm-run.fish'
        source '$completions/fish/aarm.fish'
        complete -C \$argv[1]" "$2" | cut -f1)
    contains "$1" "${got[@]}"
}

if command -v fish >/dev/null; then
    check "fish: aarm-run.fish parses" fish --no-config -n "$completions/fish/aarm-run.fish"
    check "fish: aarm.fish parses" fish --no-config -n "$completions/fish/aarm.fish"
    check "fish: -p offers the shipped profiles" fish_offers default "$aarm_run -p "
    check "fish: --profile= offers the shipped profiles" fish_offers --profile=readonly "$aarm_run --profile="
    check "fish: the word after -- is a command" fish_offers echo "aarm-run -v -- ech"
    fish_command_options_only() { ! fish_offers --profile "aarm-run -- ls --pro"; }
    check "fish: after COMMAND, aarm-run's own options are not offered" fish_command_options_only
    check "fish: aarm offers its subcommands" fish_offers verify "aarm "
    check "fish: aarm profile check offers profile names" fish_offers readonly "$aarm profile check "
    check "fish: aarm profile explain offers the net.* kinds" \
        fish_offers net.bind "aarm profile explain default -- net."
    check "fish: unix: completes a socket's path" \
        fish_offers "unix:$scratch/run/app.sock" "aarm profile explain default -- net.send unix:$scratch/run/a"
    fish_destination_no_file() {
        ! fish_offers "$scratch/run/" "aarm profile explain default -- net.connect $scratch/r"
    }
    check "fish: a net.* destination is no file" fish_destination_no_file
else
    skip "fish: aarm-run.fish and aarm.fish" "fish is not installed"
fi

finish
