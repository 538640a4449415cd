# fish completion for aarm-run(1)

# Shipped profile names: the *.toml files of $AARM_PROFILE_DIR, else of the share directory next
# to the binary (where aarm-run itself looks), else of the usual install prefixes.
function __aarm_profile_names
    set -l binary (commandline -opc)[1]
    set -l dirs
    if set -q AARM_PROFILE_DIR; and test -n "$AARM_PROFILE_DIR"
        set dirs $AARM_PROFILE_DIR
    else
        string match -q '*/*' -- $binary; or set binary (command -v -- $binary)
        if test -n "$binary"; and set -l resolved (realpath -- $binary 2>/dev/null)
            set -a dirs (path dirname -- $resolved)/../share/aarm/profiles
        end
        set -a dirs /usr/local/share/aarm/profiles /usr/share/aarm/profiles
    end
    for dir in $dirs
        test -d $dir; or continue
        for file in $dir/*.toml
            # Only names the profile loader accepts as shipped names.
            string replace -r '.*/' '' -- $file | string replace -r '\.toml$' '' |
                string match -r '^[[:alnum:]][[:alnum:]_-]*$'
        end
        return
    end
end

# Files ending in SUFFIX (directories too, to walk towards one) for the token being completed,
# with an "--option=" in front of it left out.
function __aarm_files_with_suffix -a suffix description
    set -l token (commandline -ct | string replace -r -- '^--[^=]*=' '')
    __fish_complete_suffix $token $suffix $description
end

function __aarm_profiles
    __aarm_profile_names | string replace -r '$' '\tshipped profile'
    __aarm_files_with_suffix .toml 'profile file'
end

# True while the options are still being read: no "--" and no COMMAND yet.
function __aarm_run_in_options
    set -l words (commandline -opc)
    set -e words[1]
    set -l takes_value -p --profile --intent --agent -r --receipts --key --status-fd --pass-fd \
        --log-level
    while set -q words[1]
        switch $words[1]
            case --
                return 1
            case '--*=*'
            case '-*'
                contains -- $words[1] $takes_value; and set -e words[1]
            case '*'
                return 1
        end
        set -e words[1]
    end
    return 0
end

complete -c aarm-run -f
complete -c aarm-run -n __aarm_run_in_options -s h -l help -d 'Print the options and exit'
complete -c aarm-run -n __aarm_run_in_options -l version -d 'Print the version and the kernel features, then exit'
complete -c aarm-run -n __aarm_run_in_options -s p -l profile -x -a '(__aarm_profiles)' -d 'Shipped profile name or TOML file'
complete -c aarm-run -n __aarm_run_in_options -l intent -x -d 'What the human asked the agent to do'
complete -c aarm-run -n __aarm_run_in_options -l agent -x -d 'Agent name in receipts'
complete -c aarm-run -n __aarm_run_in_options -s r -l receipts -r -F -d 'Receipt log to append to'
complete -c aarm-run -n __aarm_run_in_options -l key -r -a '(__aarm_files_with_suffix .pem)' -d 'Ed25519 private key (PEM) that signs receipts'
complete -c aarm-run -n __aarm_run_in_options -l status-fd -x -d 'Write a JSON status object to this descriptor at exit'
complete -c aarm-run -n __aarm_run_in_options -l pass-fd -x -d 'Let the agent keep this descriptor'
complete -c aarm-run -n __aarm_run_in_options -l audit -d 'Record would-be decisions, enforce only forbid rules'
complete -c aarm-run -n __aarm_run_in_options -s q -l quiet -d 'No denial lines on stderr'
complete -c aarm-run -n __aarm_run_in_options -s v -l verbose -d 'Diagnostics on stderr'
complete -c aarm-run -n __aarm_run_in_options -l log-level -x -a 'trace debug info warn error off' -d 'Diagnostics at this level and above'
complete -c aarm-run -n __aarm_run_in_options -a '(__fish_complete_command)' -d Command
complete -c aarm-run -n 'not __aarm_run_in_options' -x -a '(__fish_complete_subcommand -p --profile --intent --agent -r --receipts --key --status-fd --pass-fd --log-level)'
