#include "aarm/supervisor/exec_guard.hpp"

#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include <elf.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "aarm/base/paths.hpp"
#include "path_resolver.hpp"

namespace aarm::supervisor {
namespace {

// One report on the pipe: fixed size, so a read is always a whole report.
struct Report {
  pid_t pid;
  char program[PATH_MAX];
};

std::string ReadLinkOf(pid_t pid, const char* what) {
  char buffer[PATH_MAX];
  ssize_t n = readlink(("/proc/" + std::to_string(pid) + "/" + what).c_str(), buffer,
                       sizeof buffer - 1);
  return n > 0 ? std::string(buffer, static_cast<size_t>(n)) : std::string();
}

// The whole of a small /proc file, read with plain read(2): this runs at every exec.
std::string ReadProcFile(pid_t pid, const char* what) {
  std::string all;
  int fd = open(("/proc/" + std::to_string(pid) + "/" + what).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return all;
  char buffer[4096];
  ssize_t n;
  while ((n = read(fd, buffer, sizeof buffer)) > 0) all.append(buffer, static_cast<size_t>(n));
  close(fd);
  return all;
}

std::vector<std::string> ReadCmdline(pid_t pid) {
  std::string all = ReadProcFile(pid, "cmdline");
  std::vector<std::string> argv;
  size_t start = 0;
  while (start < all.size()) {
    size_t end = all.find('\0', start);
    if (end == std::string::npos) end = all.size();
    argv.push_back(all.substr(start, end - start));
    start = end + 1;
  }
  return argv;
}

// A program that loads other programs: an ELF shared object (ET_DYN) with no PT_INTERP of its
// own — the dynamic loader under any name, copied or renamed (a static-pie program looks the
// same and has its arguments decided as programs too: a false alarm, never a miss).
bool IsProgramLoader(pid_t pid) {
  int fd = open(("/proc/" + std::to_string(pid) + "/exe").c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  Elf64_Ehdr header{};
  bool loader = false;
  if (pread(fd, &header, sizeof header, 0) == sizeof header &&
      memcmp(header.e_ident, ELFMAG, SELFMAG) == 0 && header.e_ident[EI_CLASS] == ELFCLASS64 &&
      header.e_type == ET_DYN && header.e_phentsize == sizeof(Elf64_Phdr)) {
    loader = true;
    for (int i = 0; i < header.e_phnum && loader; ++i) {
      Elf64_Phdr segment{};
      off_t at = static_cast<off_t>(header.e_phoff + static_cast<uint64_t>(i) * sizeof segment);
      if (pread(fd, &segment, sizeof segment, at) != sizeof segment) {
        loader = false;
      } else if (segment.p_type == PT_INTERP) {
        loader = false;
      }
    }
  }
  close(fd);
  return loader;
}

// The object a name reaches for the process, as the agent sees its path: symlinks followed,
// /proc/self/fd/N and other magic links to what they hold.
std::string ResolvedInAgentView(pid_t pid, const std::string& name) {
  auto view = OpenAgentView(pid);
  if (!view) return name;
  ResolveOptions options;
  auto resolved = Resolve(*view, AT_FDCWD, name, options);
  return resolved ? resolved->path : name;
}

// The programs an exec really runs: the loaded binary, or — when a program loader was executed
// ("ld.so [OPTIONS] /path/prog ARGS") — every argument that could be the program it loads.
// Options that take a value differ between loader versions, so rather than parse them, each
// non-option word is decided: a denied one anywhere stops the exec.
std::vector<std::string> ProgramsOf(pid_t pid, const std::vector<std::string>& argv) {
  std::vector<std::string> programs = {ReadLinkOf(pid, "exe")};
  if (!IsProgramLoader(pid)) return programs;
  for (size_t i = 1; i < argv.size(); ++i) {
    if (argv[i].rfind("--", 0) != 0) programs.push_back(ResolvedInAgentView(pid, argv[i]));
  }
  return programs;
}

// Decides one PTRACE_EVENT_EXEC; true when the process must die.
bool ExecDenied(pid_t pid, const policy::Engine& engine, bool audit, std::string* program) {
  policy::Action action;
  action.kind = policy::ActionKind::kProcessExec;
  action.argv = ReadCmdline(pid);
  // Rules never look at the acting process, and this decision is not recorded: only the cwd,
  // for a loader's relative arguments, is needed beyond the command line.
  std::vector<std::string> programs = ProgramsOf(pid, action.argv);
  if (programs.size() > 1) action.cwd = ReadLinkOf(pid, "cwd");
  for (const std::string& candidate : programs) {
    action.path = NormalizePath(candidate, action.cwd.empty() ? "/" : action.cwd);
    policy::Decision decision = engine.Decide(action);
    if (decision.verdict == policy::Verdict::kDeny && (!audit || decision.forbidden)) {
      *program = candidate;
      return true;
    }
  }
  return false;
}

[[noreturn]] void RunTracer(pid_t agent, const policy::Engine& engine, bool audit, int report_fd) {
  prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  constexpr long kOptions = PTRACE_O_EXITKILL | PTRACE_O_TRACEEXEC | PTRACE_O_TRACEFORK |
                            PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE;
  char ok = ptrace(PTRACE_SEIZE, agent, nullptr, kOptions) == 0 ? 1 : 0;
  if (write(report_fd, &ok, 1) != 1 || !ok) _exit(1);
  for (;;) {
    int status = 0;
    pid_t pid = waitpid(-1, &status, __WALL);
    if (pid < 0) {
      if (errno == EINTR) continue;
      _exit(0);  // ECHILD: the whole tree is gone
    }
    if (!WIFSTOPPED(status)) continue;  // exited or killed
    int event = status >> 16;
    int sig = WSTOPSIG(status);
    if (event == PTRACE_EVENT_EXEC) {
      std::string program;
      if (ExecDenied(pid, engine, audit, &program)) {
        kill(pid, SIGKILL);
        Report report{};
        report.pid = pid;
        strncpy(report.program, program.c_str(), sizeof report.program - 1);
        [[maybe_unused]] ssize_t n = write(report_fd, &report, sizeof report);
        continue;
      }
      ptrace(PTRACE_CONT, pid, nullptr, nullptr);
    } else if (event == PTRACE_EVENT_STOP) {
      if (sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU) {
        ptrace(PTRACE_LISTEN, pid, nullptr, nullptr);  // a group-stop: stay stopped
      } else {
        ptrace(PTRACE_CONT, pid, nullptr, nullptr);  // a new tracee's first stop
      }
    } else if (event != 0) {
      ptrace(PTRACE_CONT, pid, nullptr, nullptr);  // fork, vfork, clone events
    } else {
      // A signal on its way to the tracee: deliver it as if nobody were watching.
      ptrace(PTRACE_CONT, pid, nullptr, reinterpret_cast<void*>(static_cast<long>(sig)));
    }
  }
}

}  // namespace

Result<ExecGuard> ExecGuard::Start(pid_t agent, const policy::Engine& engine, bool audit) {
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) return FailErrno("pipe for the exec guard");
  UniqueFd read_end(pipe_fds[0]);
  UniqueFd write_end(pipe_fds[1]);
  pid_t tracer = fork();
  if (tracer < 0) return FailErrno("cannot start the exec guard");
  if (tracer == 0) {
    read_end.Reset();
    RunTracer(agent, engine, audit, write_end.Get());
  }
  write_end.Reset();
  ExecGuard guard;
  guard.tracer_ = tracer;
  guard.reports_ = std::move(read_end);
  char ok = 0;
  while (read(guard.reports_.Get(), &ok, 1) < 0 && errno == EINTR) {
  }
  if (!ok) return Fail("cannot trace the agent's execs (PTRACE_SEIZE refused)",
                       "ptrace may be restricted here (kernel.yama.ptrace_scope = 3?)");
  return guard;
}

std::optional<KilledExec> ExecGuard::ReadReport() {
  Report report{};
  ssize_t n;
  while ((n = read(reports_.Get(), &report, sizeof report)) < 0 && errno == EINTR) {
  }
  if (n != sizeof report) return std::nullopt;
  return KilledExec{report.pid, std::string(report.program, strnlen(report.program, sizeof report.program))};
}

ExecGuard::ExecGuard(ExecGuard&& other) noexcept
    : reports_(std::move(other.reports_)), tracer_(std::exchange(other.tracer_, -1)) {}

ExecGuard::~ExecGuard() {
  if (tracer_ <= 0) return;
  kill(tracer_, SIGKILL);
  while (waitpid(tracer_, nullptr, 0) < 0 && errno == EINTR) {
  }
}

}  // namespace aarm::supervisor
