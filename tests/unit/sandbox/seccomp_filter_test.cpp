// The seccomp filter's own answers, installed in a forked child: the socket options that give a
// socket an IPv6 routing header are EPERM whatever the upper 32 bits of level and option hold;
// sendmsg and sendmmsg, where the list of notified calls leaves them out, are notified only
// with MSG_FASTOPEN in their flags (the low 32 bits, which the kernel reads), and every one
// where it lists them. Every call is made on descriptor -1, so one the filter lets through
// fails with EBADF.
#include <fcntl.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <vector>

#include "../../../src/sandbox/seccomp_filter.hpp"
#include "aarm/base/linux_api.hpp"
#include "aarm/base/unique_fd.hpp"

namespace aarm::sandbox {
namespace {

// What a notified call answers: the supervisor's stand-in refuses each one with it.
constexpr int kNotifiedErrno = ECANCELED;
constexpr unsigned long kHigh = 1UL << 32;

enum class Call {
  kSendmsg,
  kSendmsgFastOpen,
  kSendmsgFastOpenHigh,  // MSG_FASTOPEN, and a bit above the 32 the kernel reads
  kSendmsgHighOnly,      // only a bit above the 32 the kernel reads
  kSendmmsg,
  kSendmmsgFastOpen,
  kRthdr,
  kRthdrHigh,
  k2292Rthdr,
  k2292PktOptions,
  kV6Only,
  kRthdrAtIpLevel,
};

long Make(Call call) {
  char byte = 'x';
  iovec piece{&byte, 1};
  mmsghdr message{};
  message.msg_hdr.msg_iov = &piece;
  message.msg_hdr.msg_iovlen = 1;
  int on = 1;
  switch (call) {
    case Call::kSendmsg:
      return syscall(SYS_sendmsg, -1, &message.msg_hdr, 0);
    case Call::kSendmsgFastOpen:
      return syscall(SYS_sendmsg, -1, &message.msg_hdr, MSG_FASTOPEN);
    case Call::kSendmsgFastOpenHigh:
      return syscall(SYS_sendmsg, -1, &message.msg_hdr, kHigh | MSG_FASTOPEN);
    case Call::kSendmsgHighOnly:
      return syscall(SYS_sendmsg, -1, &message.msg_hdr, kHigh);
    case Call::kSendmmsg:
      return syscall(SYS_sendmmsg, -1, &message, 1, 0);
    case Call::kSendmmsgFastOpen:
      return syscall(SYS_sendmmsg, -1, &message, 1, MSG_FASTOPEN);
    case Call::kRthdr:
      return syscall(SYS_setsockopt, -1, IPPROTO_IPV6, IPV6_RTHDR, &on, sizeof on);
    case Call::kRthdrHigh:
      return syscall(SYS_setsockopt, -1, kHigh | IPPROTO_IPV6, kHigh | IPV6_RTHDR, &on,
                     sizeof on);
    case Call::k2292Rthdr:
      return syscall(SYS_setsockopt, -1, IPPROTO_IPV6, IPV6_2292RTHDR, &on, sizeof on);
    case Call::k2292PktOptions:
      return syscall(SYS_setsockopt, -1, IPPROTO_IPV6, IPV6_2292PKTOPTIONS, &on, sizeof on);
    case Call::kV6Only:
      return syscall(SYS_setsockopt, -1, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
    case Call::kRthdrAtIpLevel:
      return syscall(SYS_setsockopt, -1, IPPROTO_IP, IPV6_RTHDR, &on, sizeof on);
  }
  return -1;
}

struct Outcome {
  std::vector<int> errnos;  // one per call, in order
  std::vector<int> notified;  // the system call numbers the listener received
};

// Runs `calls` in a child under the filter built for `notified`, answering its notifications.
Outcome RunUnderFilter(const std::vector<int>& notified, const std::vector<Call>& calls) {
  auto program = BuildSeccompProgram(notified);
  REQUIRE(program);
  int results[2], go[2];
  REQUIRE(pipe2(results, O_CLOEXEC) == 0);
  REQUIRE(pipe2(go, O_CLOEXEC) == 0);
  pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    // Only async-signal-safe calls: the test process may have threads.
    close(results[0]);
    close(go[1]);
    int listener = -1;
    bool listens = !notified.empty();
    unsigned flags = listens ? SECCOMP_FILTER_FLAG_NEW_LISTENER : 0;
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
        InstallSeccompProgram(*program, flags, listens ? &listener : nullptr).failed()) {
      _exit(1);
    }
    // Alive until the listener is taken.
    char byte;
    if (write(results[1], &listener, sizeof listener) != sizeof listener ||
        read(go[0], &byte, 1) != 1) {
      _exit(1);
    }
    for (Call call : calls) {
      int err = Make(call) < 0 ? errno : 0;
      if (write(results[1], &err, sizeof err) != sizeof err) _exit(1);
    }
    _exit(0);
  }
  close(results[1]);
  close(go[0]);
  UniqueFd from_child(results[0]);
  UniqueFd to_child(go[1]);
  int listener_number = -1;
  REQUIRE(read(from_child.Get(), &listener_number, sizeof listener_number) ==
          sizeof listener_number);
  UniqueFd listener;
  if (listener_number >= 0) {
    UniqueFd pidfd(linux_api::PidfdOpen(child, 0));
    REQUIRE(pidfd);
    listener.Reset(linux_api::PidfdGetfd(pidfd.Get(), listener_number, 0));
    REQUIRE(listener);
  }
  REQUIRE(write(to_child.Get(), "g", 1) == 1);
  Outcome outcome;
  for (;;) {
    pollfd ready[2] = {{from_child.Get(), POLLIN, 0}, {listener.Get(), POLLIN, 0}};
    REQUIRE(poll(ready, listener ? 2 : 1, 10000) > 0);
    if (listener && (ready[1].revents & POLLIN)) {
      seccomp_notif request{};
      REQUIRE(ioctl(listener.Get(), SECCOMP_IOCTL_NOTIF_RECV, &request) == 0);
      outcome.notified.push_back(request.data.nr);
      seccomp_notif_resp response{};
      response.id = request.id;
      response.error = -kNotifiedErrno;
      REQUIRE(ioctl(listener.Get(), SECCOMP_IOCTL_NOTIF_SEND, &response) == 0);
      continue;
    }
    int err;
    ssize_t n = read(from_child.Get(), &err, sizeof err);
    if (n == 0) break;
    REQUIRE(n == sizeof err);
    outcome.errnos.push_back(err);
  }
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  return outcome;
}

TEST_CASE("routing-header socket options are EPERM, compared on the low 32 bits",
          "[sandbox][seccomp]") {
  for (const std::vector<int>& notified : {std::vector<int>{}, std::vector<int>{__NR_connect}}) {
    INFO(notified.size() << " notified");
    auto outcome = RunUnderFilter(notified, {Call::kRthdr, Call::kRthdrHigh, Call::k2292Rthdr,
                                             Call::k2292PktOptions, Call::kV6Only,
                                             Call::kRthdrAtIpLevel});
    CHECK(outcome.errnos == std::vector<int>{EPERM, EPERM, EPERM, EPERM, EBADF, EBADF});
    CHECK(outcome.notified.empty());
  }
}

TEST_CASE("sendmsg and sendmmsg left out of the list are notified only with MSG_FASTOPEN",
          "[sandbox][seccomp]") {
  auto outcome = RunUnderFilter({__NR_connect},
                                {Call::kSendmsg, Call::kSendmsgFastOpen, Call::kSendmsgHighOnly,
                                 Call::kSendmsgFastOpenHigh, Call::kSendmmsg,
                                 Call::kSendmmsgFastOpen});
  CHECK(outcome.errnos ==
        std::vector<int>{EBADF, kNotifiedErrno, EBADF, kNotifiedErrno, EBADF, kNotifiedErrno});
  CHECK(outcome.notified == std::vector<int>{__NR_sendmsg, __NR_sendmsg, __NR_sendmmsg});
}

TEST_CASE("sendmsg and sendmmsg in the list are notified whatever their flags",
          "[sandbox][seccomp]") {
  auto outcome = RunUnderFilter({__NR_sendmsg, __NR_sendmmsg},
                                {Call::kSendmsg, Call::kSendmsgFastOpen, Call::kSendmmsg});
  CHECK(outcome.errnos == std::vector<int>{kNotifiedErrno, kNotifiedErrno, kNotifiedErrno});
  CHECK(outcome.notified == std::vector<int>{__NR_sendmsg, __NR_sendmsg, __NR_sendmmsg});
}

TEST_CASE("without a listener nothing is notified, MSG_FASTOPEN or not", "[sandbox][seccomp]") {
  auto outcome = RunUnderFilter({}, {Call::kSendmsgFastOpen, Call::kSendmmsgFastOpen});
  CHECK(outcome.errnos == std::vector<int>{EBADF, EBADF});
  CHECK(outcome.notified.empty());
}

}  // namespace
}  // namespace aarm::sandbox
