// The descriptors a message passes with SCM_RIGHTS are numbers of the agent's: the copy the
// supervisor sends must name the agent's open files, whatever the supervisor holds under the
// same numbers, and a number the agent does not hold is EBADF, never a descriptor of ours.
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <string>

#include "../../../src/supervisor/agent_message.hpp"

namespace aarm::supervisor {
namespace {

// The target of /proc/self/fd/FD: "/memfd:NAME (deleted)" for a memfd.
std::string OpenFileName(int fd) {
  char target[256] = "";
  ssize_t n = readlink(("/proc/self/fd/" + std::to_string(fd)).c_str(), target, sizeof target - 1);
  return n < 0 ? "" : std::string(target, static_cast<size_t>(n));
}

// One SCM_RIGHTS header naming `fds`, in a buffer the agent's copy of memory holds too.
struct Control {
  alignas(cmsghdr) char buffer[CMSG_SPACE(2 * sizeof(int))] = {};
  size_t length = 0;

  void Name(std::initializer_list<int> fds) {
    auto* header = reinterpret_cast<cmsghdr*>(buffer);
    header->cmsg_level = SOL_SOCKET;
    header->cmsg_type = SCM_RIGHTS;
    header->cmsg_len = CMSG_LEN(fds.size() * sizeof(int));
    memcpy(CMSG_DATA(header), fds.begin(), fds.size() * sizeof(int));
    length = CMSG_SPACE(fds.size() * sizeof(int));
  }
  int Named(size_t i) const {
    int fd;
    memcpy(&fd, CMSG_DATA(reinterpret_cast<const cmsghdr*>(buffer)) + i * sizeof fd, sizeof fd);
    return fd;
  }
};

// A forked child standing for the agent: the same memory as ours at fork, but where we hold
// memfds "supervisor" at `shared` and "supervisor-only" at `ours_only`, it holds memfd "agent"
// at `shared` and nothing at `ours_only`.
class Agent {
 public:
  Agent() {
    shared_ = memfd_create("supervisor", MFD_CLOEXEC);
    ours_only_ = memfd_create("supervisor-only", MFD_CLOEXEC);
    int ready[2];
    REQUIRE(shared_ >= 0);
    REQUIRE(ours_only_ >= 0);
    REQUIRE(pipe2(ready, O_CLOEXEC) == 0);
    pid_ = fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      // Only async-signal-safe calls: the test process may have threads.
      close(ours_only_);
      int agent = static_cast<int>(syscall(SYS_memfd_create, "agent", 0));
      if (agent < 0 || dup2(agent, shared_) < 0) _exit(1);
      close(agent);
      char byte = 'r';
      if (write(ready[1], &byte, 1) != 1) _exit(1);
      for (;;) pause();
    }
    close(ready[1]);
    char byte;
    REQUIRE(read(ready[0], &byte, 1) == 1);
    close(ready[0]);
    pidfd_ = static_cast<int>(syscall(SYS_pidfd_open, pid_, 0));
    REQUIRE(pidfd_ >= 0);
  }
  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;
  ~Agent() {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    close(pidfd_);
    close(shared_);
    close(ours_only_);
  }

  pid_t Pid() const { return pid_; }
  int Pidfd() const { return pidfd_; }
  int Shared() const { return shared_; }
  int OursOnly() const { return ours_only_; }

 private:
  pid_t pid_ = -1;
  int pidfd_ = -1;
  int shared_ = -1;
  int ours_only_ = -1;
};

// The agent's message: one byte, `control` as its control data. `control` must be filled in
// before the agent is forked, so that the agent's memory holds it too.
AgentMsghdr Message(const char& byte, iovec& piece, const Control& control) {
  piece = {const_cast<char*>(&byte), 1};
  AgentMsghdr header;
  header.iov = reinterpret_cast<uint64_t>(&piece);
  header.iov_count = 1;
  header.control = reinterpret_cast<uint64_t>(control.buffer);
  header.control_length = control.length;
  return header;
}

TEST_CASE("a passed descriptor is the agent's file, whatever we hold under its number",
          "[supervisor][network]") {
  const char byte = 'x';
  iovec piece;
  Control control;
  // The number is known before the fork: memfd_create takes the lowest free one, as the
  // agent's constructor does.
  int next = fcntl(0, F_DUPFD_CLOEXEC, 0);
  REQUIRE(next >= 0);
  close(next);
  control.Name({next});
  AgentMsghdr header = Message(byte, piece, control);
  Agent agent;
  REQUIRE(agent.Shared() == next);

  auto copied = CopyMessage(agent.Pid(), header, true, agent.Pidfd());
  REQUIRE(copied);
  REQUIRE(copied->passed.size() == 1);
  CHECK_THAT(OpenFileName(copied->passed[0].Get()), Catch::StartsWith("/memfd:agent"));
  CHECK_THAT(OpenFileName(agent.Shared()), Catch::StartsWith("/memfd:supervisor"));
  // The copy's control data names our descriptor of the agent's file, not the agent's number.
  Control sent;
  REQUIRE(copied->control.size() <= sizeof sent.buffer);
  memcpy(sent.buffer, copied->control.data(), copied->control.size());
  CHECK(sent.Named(0) == copied->passed[0].Get());
  CHECK(copied->data == std::vector<char>{'x'});
}

TEST_CASE("a number the agent does not hold is EBADF, though we hold it",
          "[supervisor][network]") {
  const char byte = 'x';
  iovec piece;
  Control alone;
  Control after_held;
  // The agent's constructor takes the two lowest free numbers: the first it keeps, the
  // second only we hold.
  int first = fcntl(0, F_DUPFD_CLOEXEC, 0);
  int second = fcntl(0, F_DUPFD_CLOEXEC, 0);
  REQUIRE(first >= 0);
  REQUIRE(second >= 0);
  close(first);
  close(second);
  alone.Name({second});
  after_held.Name({first, second});
  AgentMsghdr only_ours = Message(byte, piece, alone);
  AgentMsghdr held_then_ours = Message(byte, piece, after_held);
  Agent agent;
  REQUIRE(agent.Shared() == first);
  REQUIRE(agent.OursOnly() == second);

  for (const AgentMsghdr& header : {only_ours, held_then_ours}) {
    auto copied = CopyMessage(agent.Pid(), header, true, agent.Pidfd());
    REQUIRE_FALSE(copied);
    CHECK(copied.error().sys_errno == EBADF);
  }
}

TEST_CASE("without a process to take descriptors from, control data is copied as it is",
          "[supervisor][network]") {
  // Sockets other than unix ones pass no descriptors: the kernel reads no SCM_RIGHTS there.
  const char byte = 'x';
  iovec piece;
  Control control;
  control.Name({12345});
  AgentMsghdr header = Message(byte, piece, control);
  auto copied = CopyMessage(getpid(), header, true, -1);
  REQUIRE(copied);
  CHECK(copied->passed.empty());
  REQUIRE(copied->control.size() == control.length);
  CHECK(memcmp(copied->control.data(), control.buffer, control.length) == 0);
}

}  // namespace
}  // namespace aarm::supervisor
