# fish completion for aarm(1)

# Shipped profile names: the *.toml files of $AARM_PROFILE_DIR, else of the share directory next
# to the binary (where aarm itself looks), else of the usual install prefixes.
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

# What "aarm profile explain PROFILE -- KIND OBJECT..." takes at the token being completed:
# profile, separator, kind, program, path, flag, destination or nothing.
function __aarm_explain_expects
    set -l words (commandline -opc)
    set -l at (contains -i -- explain $words); or return 1
    set -e words[1..$at]
    set -l separator (contains -i -- -- $words)
    if test -z "$separator"
        if test (count (string match -v -- '-*' $words)) -eq 0
            echo profile
        else
            echo separator
        end
        return 0
    end
    set -e words[1..$separator]
    set -l count (count $words)
    if test $count -eq 0
        echo kind
        return 0
    end
    switch $words[1]
        case process.exec
            test $count -eq 1; and echo program; or echo path
        case file.read file.write file.create
            test $count -eq 1; and echo path; or echo flag
        case file.delete file.chmod
            test $count -eq 1; and echo path
        case file.rename file.link
            test $count -le 2; and echo path
        case net.connect net.send net.bind
            test $count -eq 1; and echo destination
    end
    return 0
end

# The destination of a net.* action: only a unix socket's path (unix:PATH) is a file; host
# names, addresses and ports are not completed.
function __aarm_net_destinations
    set -l token (commandline -ct)
    if string match -q 'unix:*' -- $token
        __fish_complete_path (string sub -s 6 -- $token) | string replace -r '^' 'unix:'
    else
        printf '%s\t%s\n' unix: 'Unix socket: unix:PATH or unix:@NAME'
    end
end

# The word after "profile": list, check or explain.
function __aarm_profile_command
    set -l words (commandline -opc)
    set -l at (contains -i -- profile $words); or return 1
    set -q words[(math $at + 1)]; and echo $words[(math $at + 1)]
end

# True when the token being completed is of "aarm profile explain" and takes a STATE.
function __aarm_explain_takes -a state
    test "$(__aarm_profile_command)" = explain; and test "$(__aarm_explain_expects)" = $state
end

set -l commands profile verify show keygen

complete -c aarm -f
complete -c aarm -n 'not contains -- -- (commandline -opc)' -s h -l help -d 'Print the options and exit'
complete -c aarm -n "not __fish_seen_subcommand_from $commands" -l version -d 'Print the version and exit'
complete -c aarm -n "not __fish_seen_subcommand_from $commands" -a profile -d 'List, check and explain profiles'
complete -c aarm -n "not __fish_seen_subcommand_from $commands" -a verify -d 'Check receipt files: chain, sequence, signatures'
complete -c aarm -n "not __fish_seen_subcommand_from $commands" -a show -d 'Show the sessions of a receipt file'
complete -c aarm -n "not __fish_seen_subcommand_from $commands" -a keygen -d 'Make an Ed25519 key pair for signing receipts'

complete -c aarm -n "__fish_seen_subcommand_from profile; and not __fish_seen_subcommand_from list check explain" -a list -d 'Shipped profiles, then the project profile'
complete -c aarm -n "__fish_seen_subcommand_from profile; and not __fish_seen_subcommand_from list check explain" -a check -d 'Validate a profile and print it after extends'
complete -c aarm -n "__fish_seen_subcommand_from profile; and not __fish_seen_subcommand_from list check explain" -a explain -d 'How a profile decides one action'
complete -c aarm -n 'test "$(__aarm_profile_command)" = check' -a '(__aarm_profiles)'

complete -c aarm -n '__aarm_explain_takes profile' -a '(__aarm_profiles)'
complete -c aarm -n '__aarm_explain_takes separator' -a -- -d 'The action follows'
complete -c aarm -n '__aarm_explain_takes kind' -a 'process.exec\tARGV... file.read\t"PATH [O_FLAG...]" file.write\t"PATH [O_FLAG...]" file.create\t"PATH [O_FLAG...]" file.delete\tPATH file.rename\t"PATH TO" file.link\t"PATH TO" file.chmod\tPATH net.connect\t"HOST:PORT [ADDRESS] or unix:PATH" net.send\t"ADDRESS:PORT or unix:PATH" net.bind\t"ADDRESS[:PORT] or unix:PATH"'
complete -c aarm -n '__aarm_explain_takes program' -a '(__fish_complete_command)'
complete -c aarm -n '__aarm_explain_takes path' -F
complete -c aarm -n '__aarm_explain_takes destination' -a '(__aarm_net_destinations)'
complete -c aarm -n '__aarm_explain_takes flag' -a 'O_RDONLY O_WRONLY O_RDWR O_CREAT O_EXCL O_NOCTTY O_TRUNC O_APPEND O_NONBLOCK O_DSYNC O_SYNC O_ASYNC O_DIRECT O_DIRECTORY O_NOFOLLOW O_NOATIME O_CLOEXEC O_PATH O_TMPFILE' -d 'Open flag'

complete -c aarm -n '__fish_seen_subcommand_from verify' -l key -r -a '(__aarm_files_with_suffix .pem)' -d 'Public key (PEM) every session must be signed by'
complete -c aarm -n '__fish_seen_subcommand_from verify' -l expect-head -x -d 'Fail unless a session ends with the record of this hash'
complete -c aarm -n '__fish_seen_subcommand_from verify' -l json -d 'Print the report as one JSON object'
complete -c aarm -n '__fish_seen_subcommand_from verify' -F -d 'Receipt file'

complete -c aarm -n '__fish_seen_subcommand_from show' -l json -d 'Print the timeline as JSON'
complete -c aarm -n '__fish_seen_subcommand_from show' -l session -x -d 'Show only the session with this id'
complete -c aarm -n '__fish_seen_subcommand_from show' -F -d 'Receipt file'

complete -c aarm -n '__fish_seen_subcommand_from keygen' -l out -x -a '(__fish_complete_directories)' -d 'Directory for signing-key.pem and signing-key.pub.pem'
complete -c aarm -n '__fish_seen_subcommand_from keygen' -l force -d 'Replace an existing key pair'
