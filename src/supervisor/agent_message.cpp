#include "agent_message.hpp"

#include <limits.h>
#include <netinet/in.h>
#include <sys/uio.h>

#include <cerrno>
#include <cstring>

#include "agent_socket.hpp"
#include "target_memory.hpp"

namespace aarm::supervisor {
namespace {

// The user-space struct msghdr of x86-64.
struct RawMsghdr {
  uint64_t name;
  uint32_t name_length;
  uint32_t padding;
  uint64_t iov;
  uint64_t iov_count;
  uint64_t control;
  uint64_t control_length;
  int32_t flags;
};
static_assert(sizeof(RawMsghdr) == sizeof(msghdr));

Result<void> ReadName(pid_t pid, uint64_t address, uint32_t length, CopiedMessage& out) {
  // As the kernel reads it: no pointer or no length is no destination; a longer one is cut.
  if (address == 0 || length == 0) return {};
  out.has_name = true;
  out.name.length = std::min<socklen_t>(length, sizeof out.name.storage);
  if (!ReadMemory(pid, address, &out.name.storage, out.name.length)) {
    return FailErrno("unreadable address", EFAULT);
  }
  return {};
}

Result<void> ReadData(pid_t pid, std::vector<iovec> remote, bool message_socket,
                      CopiedMessage& out) {
  size_t total = 0;
  for (auto& piece : remote) {
    if (piece.iov_len > static_cast<size_t>(SSIZE_MAX) - total) {
      return FailErrno("message too long", EINVAL);
    }
    total += piece.iov_len;
  }
  if (total > kMaxSendBytes) {
    if (message_socket) return FailErrno("message too long", EMSGSIZE);
    size_t keep = kMaxSendBytes;
    for (auto& piece : remote) {
      piece.iov_len = std::min(piece.iov_len, keep);
      keep -= piece.iov_len;
    }
    total = kMaxSendBytes;
  }
  out.data.resize(total);
  if (total == 0) return {};
  iovec local{out.data.data(), total};
  ssize_t n = process_vm_readv(pid, &local, 1, remote.data(), remote.size(), 0);
  if (n != static_cast<ssize_t>(total)) return FailErrno("unreadable message", EFAULT);
  return {};
}

// SECURITY: an IPv6 routing header sends the packet to its first segment, not to the address
// decided, and the kernel takes a Mobile IPv6 one (type 2) from any sender where it has Mobile
// IPv6. The seccomp filter refuses the socket options that set one; this is the same header
// for one message. EPERM, as the filter answers: no rule is involved, whatever the profile.
// (The other control data that steers a route — IPv4 options with a source route, a firewall
// mark — needs CAP_NET_RAW or CAP_NET_ADMIN, which the threads that send for the agent do not
// hold: the kernel answers EPERM.)
bool SetsRoutingHeader(const cmsghdr& cmsg) {
  return cmsg.cmsg_level == IPPROTO_IPV6 &&
         (cmsg.cmsg_type == IPV6_RTHDR || cmsg.cmsg_type == IPV6_2292RTHDR);
}

// SECURITY: the kernel checks explicit credentials against the process that sends, the
// supervisor: passed on, the agent could name aarm-run's pid to a host service. EPERM, what
// the kernel answers an unprivileged sender naming another pid.
bool SetsCredentials(const cmsghdr& cmsg) {
  return cmsg.cmsg_level == SOL_SOCKET && cmsg.cmsg_type == SCM_CREDENTIALS;
}

// Walks the control data: a header whose length does not fit is EINVAL, a routing header or
// credentials EPERM. SECURITY: the descriptors an SCM_RIGHTS message names are the agent's; the copy must
// name the same open files as descriptors of ours (`pidfd` >= 0: a unix socket, which passes
// them; -1 leaves them as they are).
Result<void> CheckControl(int pidfd, CopiedMessage& out) {
  msghdr header{};
  header.msg_control = out.control.data();
  header.msg_controllen = out.control.size();
  for (cmsghdr* cmsg = CMSG_FIRSTHDR(&header); cmsg != nullptr;
       cmsg = CMSG_NXTHDR(&header, cmsg)) {
    // SECURITY: the length is the agent's to write. As the kernel does (CMSG_OK), a header
    // must fit in what is left of the buffer, or the descriptors "in" it lie past its end.
    size_t left = out.control.size() - static_cast<size_t>(reinterpret_cast<char*>(cmsg) -
                                                           out.control.data());
    if (cmsg->cmsg_len < CMSG_LEN(0) || cmsg->cmsg_len > left) {
      return FailErrno("bad control message", EINVAL);
    }
    if (SetsRoutingHeader(*cmsg)) return FailErrno("routing header", EPERM);
    if (SetsCredentials(*cmsg)) return FailErrno("credentials", EPERM);
    if (pidfd < 0 || cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS) continue;
    size_t count = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    auto* fds = reinterpret_cast<int*>(CMSG_DATA(cmsg));
    for (size_t i = 0; i < count; ++i) {
      int agent_fd;
      memcpy(&agent_fd, fds + i, sizeof agent_fd);
      auto taken = TakeDescriptor(pidfd, agent_fd);
      if (!taken) return FailErrno("passed descriptor", EBADF);
      int ours = taken->Get();
      memcpy(fds + i, &ours, sizeof ours);
      out.passed.push_back(std::move(*taken));
    }
  }
  return {};
}

}  // namespace

ssize_t CopiedMessage::Send(int socket, const RawAddress* destination, int flags) const {
  iovec piece{const_cast<char*>(data.data()), data.size()};
  msghdr header{};
  if (destination != nullptr) {
    header.msg_name = const_cast<sockaddr_storage*>(&destination->storage);
    header.msg_namelen = destination->length;
  }
  header.msg_iov = &piece;
  header.msg_iovlen = 1;
  if (!control.empty()) {
    header.msg_control = const_cast<char*>(control.data());
    header.msg_controllen = control.size();
  }
  return sendmsg(socket, &header, flags);
}

Result<AgentMsghdr> ReadMsghdr(pid_t pid, uint64_t address) {
  RawMsghdr raw;
  if (!ReadMemory(pid, address, &raw, sizeof raw)) return FailErrno("unreadable msghdr", EFAULT);
  return AgentMsghdr{raw.name, raw.name_length, raw.iov, raw.iov_count, raw.control,
                     raw.control_length};
}

Result<CopiedMessage> CopyMessage(pid_t pid, const AgentMsghdr& header, bool message_socket,
                                  int pidfd) {
  CopiedMessage out;
  if (auto named = ReadName(pid, header.name, header.name_length, out); !named) {
    return tl::unexpected(named.error());
  }
  if (header.iov_count > UIO_MAXIOV) return FailErrno("too many pieces", EMSGSIZE);
  std::vector<iovec> remote(header.iov_count);
  if (!remote.empty() &&
      !ReadMemory(pid, header.iov, remote.data(), remote.size() * sizeof(iovec))) {
    return FailErrno("unreadable iovec", EFAULT);
  }
  if (auto read = ReadData(pid, std::move(remote), message_socket, out); !read) {
    return tl::unexpected(read.error());
  }
  if (header.control != 0 && header.control_length != 0) {
    if (header.control_length > kMaxControlBytes) return FailErrno("control data", ENOBUFS);
    out.control.resize(header.control_length);
    if (!ReadMemory(pid, header.control, out.control.data(), out.control.size())) {
      return FailErrno("unreadable control data", EFAULT);
    }
    if (auto checked = CheckControl(pidfd, out); !checked) return tl::unexpected(checked.error());
  }
  return out;
}

Result<CopiedMessage> CopySendto(pid_t pid, uint64_t buffer, uint64_t length, uint64_t name,
                                 uint64_t name_length, bool message_socket) {
  CopiedMessage out;
  // sendto(2), unlike sendmsg(2), refuses an address longer than any.
  auto signed_length = static_cast<int32_t>(name_length);
  if (signed_length < 0 || static_cast<size_t>(signed_length) > sizeof(sockaddr_storage)) {
    return FailErrno("address too long", EINVAL);
  }
  if (auto named = ReadName(pid, name, static_cast<uint32_t>(signed_length), out); !named) {
    return tl::unexpected(named.error());
  }
  std::vector<iovec> remote{{reinterpret_cast<void*>(buffer), std::min<uint64_t>(length, INT_MAX)}};
  if (auto read = ReadData(pid, std::move(remote), message_socket, out); !read) {
    return tl::unexpected(read.error());
  }
  return out;
}

}  // namespace aarm::supervisor
