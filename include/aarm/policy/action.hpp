// The canonical Action: what the agent is about to do, normalised from a system call. The
// supervisor builds it; the policy engine, the receipts and (later) the context consume it.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace aarm::policy {

enum class ActionKind {
  kProcessExec,
  kFileRead,
  kFileWrite,
  kFileCreate,
  kFileDelete,
  kFileRename,
  kFileLink,
  kFileChmod,
  kNetConnect,
  kNetBind,
  kNetSend,
};

// net.* actions: true for kNetConnect, kNetBind, kNetSend.
bool IsNetworkAction(ActionKind kind);

// "process.exec", "file.read", ...
std::string_view ActionKindName(ActionKind kind);
std::optional<ActionKind> ParseActionKind(std::string_view name);

// Every kind, in declaration order.
std::span<const ActionKind> AllActionKinds();

// The value of an open(2) flag by its name ("O_WRONLY", "O_CREAT", ...); "O_RDONLY" is 0, the
// read-only access mode.
std::optional<uint32_t> OpenFlagValue(std::string_view name);
// The names OpenFlagValue knows, in the order of open(2).
std::span<const std::string_view> OpenFlagNames();

struct ActingProcess {
  pid_t pid = 0;             // as the supervisor sees it
  std::string exe;           // the binary it runs, as the agent sees the path
  std::vector<pid_t> ppids;  // parent, grandparent, ... up to the sandbox's init (excluded)
};

struct Action {
  ActionKind kind = ActionKind::kFileRead;
  // The object the kernel would reach, as an absolute path in the agent's view, with symlinks
  // resolved (but for the last component of calls that do not follow it). For rename and link
  // the source; `to` is the destination.
  std::string path;
  std::string to;
  std::vector<std::string> argv;  // process.exec
  std::string cwd;                // process.exec
  uint32_t open_flags = 0;        // file.* actions from open(2): O_* flags
  // net.* actions. `host`: the name, when one is known (asked for through a proxy, a TLS SNI or
  // an HTTP Host header, or mapped back from an address the sandbox's resolver answered);
  // `address`: numeric, canonical (IPv4 dotted quad, IPv6 as inet_ntop writes it, an
  // IPv4-mapped IPv6 address as its IPv4 form), empty when not yet resolved; `protocol`:
  // "tcp", "udp", "dns" or "unix" (a unix socket's path is in `path`, empty when abstract).
  std::string host;
  std::string address;
  uint16_t port = 0;
  std::string protocol;
  ActingProcess process;
};

}  // namespace aarm::policy
