#include "support/process.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace aarm::testing {
namespace {

using Clock = std::chrono::steady_clock;

// After the command exits, its descendants may still hold the output pipes for a moment.
constexpr milliseconds kDrainAfterExit{500};

std::runtime_error SystemError(const std::string& what) {
  return std::runtime_error(what + ": " + std::strerror(errno));
}

void CloseFd(int& fd) {
  if (fd >= 0) close(fd);
  fd = -1;
}

std::vector<char*> PointerArray(const std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (const auto& s : strings) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

// In the child between fork and exec: moves `keep` to their own numbers and closes the rest.
[[noreturn]] void ExecChild(const ProcessOptions& options, char** argv, char** envp) {
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  for (int sig = 1; sig < NSIG; ++sig) signal(sig, SIG_DFL);
  unsigned first = 3;
  std::vector<int> keep = options.inherit_fds;
  std::sort(keep.begin(), keep.end());
  for (int fd : keep) {
    if (fd < 3) continue;
    fcntl(fd, F_SETFD, 0);
    if (static_cast<unsigned>(fd) > first) syscall(SYS_close_range, first, fd - 1, 0);
    first = static_cast<unsigned>(fd) + 1;
  }
  syscall(SYS_close_range, first, ~0U, 0);
  if (!options.cwd.empty() && chdir(options.cwd.c_str()) != 0) _exit(124);
  execve(argv[0], argv, envp);
  _exit(errno == ENOENT ? 127 : 126);
}

}  // namespace

Process::Process(const ProcessOptions& options) : pty_(options.pty), input_(options.input) {
  signal(SIGPIPE, SIG_IGN);  // a command that exits before reading its input
  auto argv = PointerArray(options.argv);
  auto envp = PointerArray(options.env);
  if (options.pty) {
    int master = -1;
    int slave = -1;
    if (openpty(&master, &slave, nullptr, nullptr, nullptr) != 0) throw SystemError("openpty");
    fcntl(master, F_SETFD, FD_CLOEXEC);
    pid_ = fork();
    if (pid_ < 0) throw SystemError("fork");
    if (pid_ == 0) {
      close(master);
      setsid();
      ioctl(slave, TIOCSCTTY, 0);
      for (int fd = 0; fd < 3; ++fd) dup2(slave, fd);
      if (slave > 2) close(slave);
      ExecChild(options, argv.data(), envp.data());
    }
    close(slave);
    out_fd_ = master;
    in_fd_ = dup(master);
    fcntl(in_fd_, F_SETFD, FD_CLOEXEC);
  } else {
    int in[2];
    int out[2];
    int err[2];
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
      throw SystemError("pipe");
    }
    pid_ = fork();
    if (pid_ < 0) throw SystemError("fork");
    if (pid_ == 0) {
      dup2(in[0], 0);
      dup2(out[1], 1);
      dup2(err[1], 2);
      ExecChild(options, argv.data(), envp.data());
    }
    close(in[0]);
    close(out[1]);
    close(err[1]);
    in_fd_ = in[1];
    out_fd_ = out[0];
    err_fd_ = err[0];
  }
  fcntl(in_fd_, F_SETFL, O_NONBLOCK);
  if (input_.empty() && !options.pty) CloseFd(in_fd_);
}

Process::~Process() {
  if (!exited_ && pid_ > 0) {
    kill(pid_, SIGKILL);
    Reap(true);
  }
  CloseFd(in_fd_);
  CloseFd(out_fd_);
  CloseFd(err_fd_);
}

bool Process::Reap(bool block) {
  if (exited_) return true;
  int status = 0;
  pid_t rc;
  do {
    rc = waitpid(pid_, &status, block ? 0 : WNOHANG);
  } while (rc < 0 && errno == EINTR);
  if (rc != pid_) return false;
  exited_ = true;
  result_.status = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
  return true;
}

template <typename Done>
bool Process::Pump(Clock::time_point until, Done done) {
  std::optional<Clock::time_point> drain_until;
  for (;;) {
    if (done()) return true;
    auto now = Clock::now();
    if (exited_ && !drain_until) drain_until = now + kDrainAfterExit;
    auto limit = drain_until ? std::min(until, *drain_until) : until;
    if (now >= limit || (exited_ && out_fd_ < 0 && err_fd_ < 0)) return done();
    auto wait = std::chrono::duration_cast<milliseconds>(limit - now);
    int timeout = static_cast<int>(std::min<milliseconds::rep>(wait.count() + 1, 50));

    pollfd fds[3];
    int count = 0;
    int* owners[3];
    for (int* fd : {&out_fd_, &err_fd_}) {
      if (*fd < 0) continue;
      fds[count] = {*fd, POLLIN, 0};
      owners[count++] = fd;
    }
    bool writing = in_fd_ >= 0 && input_written_ < input_.size();
    if (writing) {
      fds[count] = {in_fd_, POLLOUT, 0};
      owners[count++] = &in_fd_;
    }
    int ready = poll(fds, count, timeout);
    if (ready < 0 && errno != EINTR) throw SystemError("poll");
    for (int i = 0; ready > 0 && i < count; ++i) {
      if (fds[i].revents == 0) continue;
      int& fd = *owners[i];
      if (&fd == &in_fd_) {
        ssize_t n = write(fd, input_.data() + input_written_, input_.size() - input_written_);
        if (n > 0) input_written_ += static_cast<size_t>(n);
        // A pty's input stays open: closing it would hang up the terminal.
        if ((n < 0 && errno != EAGAIN) || (input_written_ == input_.size() && !pty_)) {
          CloseFd(fd);
        }
        continue;
      }
      char buffer[65536];
      ssize_t n = read(fd, buffer, sizeof buffer);
      if (n > 0) {
        (&fd == &out_fd_ ? result_.out : result_.err).append(buffer, static_cast<size_t>(n));
      } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        CloseFd(fd);  // EOF, or EIO once a pty's last user is gone
      }
    }
    Reap(false);
  }
}

bool Process::WaitForOutput(const std::string& text, milliseconds timeout) {
  return Pump(Clock::now() + timeout,
              [&] { return result_.out.find(text) != std::string::npos; });
}

std::string Process::OutputDuring(milliseconds duration) {
  size_t before = result_.out.size();
  Pump(Clock::now() + duration, [] { return false; });
  return result_.out.substr(before);
}

void Process::Signal(int signal) const {
  if (!exited_) kill(pid_, signal);
}

ProcessResult Process::Wait(milliseconds timeout) {
  bool finished = Pump(Clock::now() + timeout, [&] {
    return exited_ && out_fd_ < 0 && err_fd_ < 0;
  });
  if (!exited_ && !finished) {
    result_.timed_out = true;
    kill(pid_, SIGKILL);
    Reap(true);
  }
  CloseFd(in_fd_);
  CloseFd(out_fd_);
  CloseFd(err_fd_);
  return result_;
}

ProcessResult RunProcess(const ProcessOptions& options) {
  Process process(options);
  return process.Wait(options.timeout);
}

std::vector<pid_t> ProcessesWith(const std::string& needle) {
  std::vector<pid_t> found;
  DIR* proc = opendir("/proc");
  if (!proc) throw SystemError("opendir /proc");
  while (dirent* entry = readdir(proc)) {
    pid_t pid = atoi(entry->d_name);
    if (pid <= 0) continue;
    std::ifstream in("/proc/" + std::string(entry->d_name) + "/cmdline", std::ios::binary);
    std::ostringstream cmdline;
    cmdline << in.rdbuf();  // empty for a process gone meanwhile
    if (cmdline.str().find(needle) != std::string::npos) found.push_back(pid);
  }
  closedir(proc);
  return found;
}

bool NoProcessWithin(const std::string& needle, milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (!ProcessesWith(needle).empty()) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(milliseconds(20));
  }
  return true;
}

std::string UniqueToken(const std::string& what) {
  return "aarm-e2e-" + what + "-" + std::to_string(getpid()) + "-" +
         std::to_string(Clock::now().time_since_epoch().count());
}

char ProcessState(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  std::getline(in, stat);
  size_t paren = stat.rfind(')');
  return paren != std::string::npos && paren + 2 < stat.size() ? stat[paren + 2] : '?';
}

}  // namespace aarm::testing
