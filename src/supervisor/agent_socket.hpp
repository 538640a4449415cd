// A socket of the agent, taken into the supervisor with pidfd_getfd(2): the same open file
// description, so whatever the supervisor does with it — connect, bind, send — is done to the
// agent's socket, in the agent's network namespace, and its O_NONBLOCK is the agent's.
#pragma once

#include <sys/types.h>

#include <optional>

#include "aarm/base/error.hpp"
#include "aarm/base/unique_fd.hpp"

namespace aarm::supervisor {

// A network namespace, by the device and inode of its nsfs file.
struct NamespaceId {
  dev_t dev = 0;
  ino_t ino = 0;
  bool operator==(const NamespaceId&) const = default;
};

// The network namespace of process `pid` (0: our own).
std::optional<NamespaceId> NetworkNamespaceOf(pid_t pid);

struct AgentSocket {
  UniqueFd fd;
  int domain = 0;    // AF_INET, AF_INET6, AF_UNIX, ...
  int type = 0;      // SOCK_STREAM, SOCK_DGRAM, ...
  int protocol = 0;  // IPPROTO_TCP, ...
  std::optional<NamespaceId> network;  // nullopt: one we may not inspect (not the sandbox's)

  // O_NONBLOCK of the agent's open file description, read now.
  bool Nonblocking() const;
  // Bound to an address (a port, for IP sockets; a name, for unix sockets).
  bool Bound() const;
  // Connected to a peer.
  bool Connected() const;
};

// Descriptor `agent_fd` of the process behind `pidfd`. Errors carry the errno the agent gets:
// EBADF for no such descriptor, ENOTSOCK for one that is not a socket.
Result<AgentSocket> TakeSocket(int pidfd, int agent_fd);

// Any descriptor of the agent's (one it passes with SCM_RIGHTS).
Result<UniqueFd> TakeDescriptor(int pidfd, int agent_fd);

}  // namespace aarm::supervisor
