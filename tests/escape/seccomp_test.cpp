// Attacks on the kernel interface: every denied system call, the filter's prologue (other
// architectures, TIOCSTI with high bits, personality), new namespaces to regain capabilities,
// and the same attempts from a child process and from a second thread.
#include <signal.h>

#include <catch2/catch.hpp>

#include "support/workspace.hpp"

namespace aarm::testing {
namespace {

constexpr const char* kEperm = "errno 1 EPERM";
constexpr const char* kEnosys = "errno 38 ENOSYS";

struct Expectation {
  std::vector<std::string> probe;
  const char* line;
};

// Each mode's arguments make the call fail harmlessly with another errno (EFAULT, EBADF,
// EINVAL, ENOTTY) where the filter lets it through, so the filter's answer is the one seen.
const std::vector<Expectation>& DeniedCalls() {
  static const std::vector<Expectation> calls = {
      {{"ptrace-traceme"}, kEperm},
      {{"ptrace-attach", "1"}, kEperm},
      {{"process-vm-writev"}, kEperm},
      {{"pidfd-getfd"}, kEperm},
      {{"unshare-user"}, kEperm},
      {{"unshare-mount"}, kEperm},
      {{"unshare-net"}, kEperm},
      {{"clone-newuser"}, kEperm},
      {{"clone3"}, kEnosys},
      {{"setns"}, kEperm},
      {{"mount"}, kEperm},
      {{"umount"}, kEperm},
      {{"pivot-root"}, kEperm},
      {{"chroot"}, kEperm},
      {{"open-tree"}, kEperm},
      {{"open-by-handle-at"}, kEperm},
      {{"name-to-handle-at"}, kEperm},
      {{"bpf"}, kEperm},
      {{"perf-event-open"}, kEperm},
      {{"userfaultfd"}, kEperm},
      {{"io-uring-setup"}, kEperm},
      {{"keyctl"}, kEperm},
      {{"add-key"}, kEperm},
      {{"kexec-load"}, kEperm},
      {{"init-module"}, kEperm},
      {{"finit-module"}, kEperm},
      {{"delete-module"}, kEperm},
      {{"acct"}, kEperm},
      {{"swapon"}, kEperm},
      {{"reboot"}, kEperm},
      {{"settimeofday"}, kEperm},
      {{"clock-settime"}, kEperm},
      {{"sethostname"}, kEperm},
      {{"seccomp-listener"}, kEperm},
      {{"tiocsti"}, kEperm},
      {{"tiocsti-highbits"}, kEperm},
      {{"tiocsti-own-pty"}, kEperm},
      {{"tiocsti-own-pty-highbits"}, kEperm},
      {{"tioclinux"}, kEperm},
      {{"personality", "0x0400000"}, kEperm},  // READ_IMPLIES_EXEC
      {{"personality", "0x0040000"}, kEperm},  // ADDR_NO_RANDOMIZE
      {{"syscall", "1000"}, kEnosys},          // no such system call
      {{"syscall", "462"}, kEnosys},           // mseal: newer than the filter's syscall table
  };
  return calls;
}

TEST_CASE("every denied system call fails with the filter's errno", "[escape][seccomp]") {
  Workspace ws;
  for (const auto& call : DeniedCalls()) {
    INFO("probe " << call.probe.front() << (call.probe.size() > 1 ? " " + call.probe[1] : ""));
    auto result = ws.Probe(call.probe);
    CHECK(FirstLine(result.out) == call.line);
    CHECK(result.status == 0);
  }
}

TEST_CASE("what the filter allows next to what it denies still works", "[escape][seccomp]") {
  Workspace ws;
  // Stacking a filter is fine; only asking for a listener (to answer for the agent) is denied.
  CHECK(ws.ProbeLine({"seccomp-stack"}) == "ok stacked");
  // The default personality and a query of it are allowed (glibc and setarch ask).
  CHECK(ws.ProbeLine({"personality", "0xffffffff"}) == "ok 0");
  CHECK(ws.ProbeLine({"personality", "0"}) == "ok 0");
  // Plain fork and threads (clone without namespace flags) work.
  CHECK(ws.ProbeLine({"child", "ids"}).rfind("ok pid=3 ppid=2 ", 0) == 0);
  CHECK(ws.ProbeLine({"thread", "ids"}).rfind("ok pid=2 ppid=1 ", 0) == 0);
}

TEST_CASE("i386 and x32 system calls kill the agent", "[escape][seccomp]") {
  Workspace ws;
  for (const char* mode : {"int80-getpid", "x32-getpid"}) {
    INFO(mode);
    auto result = ws.Probe({mode});
    CHECK(result.status == 128 + SIGSYS);
    CHECK(result.out.empty());
    // From a child: the child dies, its parent reports it.
    CHECK(ws.ProbeLine({"child", mode}) == "killed SYS");
    // From a second thread: the whole process dies, not only the thread.
    auto threaded = ws.Probe({"thread", mode});
    CHECK(threaded.status == 128 + SIGSYS);
    CHECK(threaded.out.empty());
  }
}

TEST_CASE("a child process and a second thread are held to the same filter",
          "[escape][seccomp]") {
  Workspace ws;
  for (const auto& call : DeniedCalls()) {
    std::vector<std::string> in_child = {"child"};
    in_child.insert(in_child.end(), call.probe.begin(), call.probe.end());
    std::vector<std::string> in_thread = {"thread"};
    in_thread.insert(in_thread.end(), call.probe.begin(), call.probe.end());
    INFO("probe " << call.probe.front());
    CHECK(ws.ProbeLine(in_child) == call.line);
    CHECK(ws.ProbeLine(in_thread) == call.line);
  }
}

TEST_CASE("a nested user namespace cannot give capabilities back", "[escape][seccomp]") {
  Workspace ws;
  auto result = ws.Run({"unshare", "-r", "sh", "-c", "echo inside"});
  CHECK(result.status != 0);
  CHECK(result.out.empty());
  CHECK_THAT(result.err, Catch::Contains("Operation not permitted"));

  result = ws.Run({"unshare", "--user", "--map-root-user", "--mount", "--pid", "--fork", "true"});
  CHECK(result.status != 0);
  CHECK_THAT(result.err, Catch::Contains("Operation not permitted"));
}

TEST_CASE("the sandbox's init cannot be signalled or traced by the agent", "[escape][seccomp]") {
  Workspace ws;
  // The agent outlives its attempt and exits normally: init ignores it (and Landlock's signal
  // scope refuses it outright where the kernel has it).
  auto result = ws.Run({"sh", "-c",
                        "'" + ProbePath() + "' kill 1 9; '" + ProbePath() + "' kill 1 15; "
                        "'" + ProbePath() + "' ptrace-attach 1; echo still-running"});
  CHECK(result.status == 0);
  CHECK_THAT(result.out, Catch::EndsWith("still-running\n"));
  if (LandlockAbi() >= 6) {
    CHECK_THAT(result.out, Catch::StartsWith("errno 1 EPERM\nerrno 1 EPERM\nerrno 1 EPERM\n"));
  }
}

}  // namespace
}  // namespace aarm::testing
