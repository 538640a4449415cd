// A message the agent sends, copied out of its memory: destination, data and control data.
// The supervisor sends this copy itself, so nothing a thread of the agent rewrites after the
// decision — the destination, the data, the descriptors passed — reaches the socket.
#pragma once

#include <sys/socket.h>
#include <sys/types.h>

#include <cstdint>
#include <vector>

#include "aarm/base/error.hpp"
#include "aarm/base/unique_fd.hpp"
#include "socket_address.hpp"

namespace aarm::supervisor {

// At most this much data is copied for one send: a larger message on a datagram socket is
// EMSGSIZE, a stream socket sends the first part and the call returns that count.
inline constexpr size_t kMaxSendBytes = 256 * 1024;
// Control data beyond this is ENOBUFS, as beyond the kernel's optmem_max.
inline constexpr size_t kMaxControlBytes = 64 * 1024;

struct CopiedMessage {
  bool has_name = false;
  RawAddress name;
  std::vector<char> data;
  std::vector<char> control;
  // Descriptors of SCM_RIGHTS, taken from the agent; `control` names these instead.
  std::vector<UniqueFd> passed;

  // sendmsg(2) of this copy on `socket`, to `destination` (null: the socket's peer).
  ssize_t Send(int socket, const RawAddress* destination, int flags) const;
};

// The user-space layout of struct msghdr read from the agent.
struct AgentMsghdr {
  uint64_t name = 0;
  uint32_t name_length = 0;
  uint64_t iov = 0;
  uint64_t iov_count = 0;
  uint64_t control = 0;
  uint64_t control_length = 0;
};

Result<AgentMsghdr> ReadMsghdr(pid_t pid, uint64_t address);

// Copies the message `header` describes. `message_socket`: a datagram or seqpacket socket,
// whose messages go whole or not at all. `pidfd`: where SCM_RIGHTS descriptors are taken from
// (unix sockets; -1 leaves them as they are). Control data holding an IPv6 routing header or
// SCM_CREDENTIALS is EPERM. Errors carry the errno the agent gets.
Result<CopiedMessage> CopyMessage(pid_t pid, const AgentMsghdr& header, bool message_socket,
                                  int pidfd);

// The message of sendto(2): `length` bytes at `buffer` to the `name_length` bytes at `name`.
Result<CopiedMessage> CopySendto(pid_t pid, uint64_t buffer, uint64_t length, uint64_t name,
                                 uint64_t name_length, bool message_socket);

}  // namespace aarm::supervisor
