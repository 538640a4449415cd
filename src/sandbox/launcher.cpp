#include "aarm/sandbox/launcher.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "aarm/base/linux_api.hpp"
#include "aarm/base/paths.hpp"
#include "child_plan.hpp"
#include "setup_protocol.hpp"
#include "user_namespace.hpp"

namespace aarm::sandbox {
namespace {

constexpr uint64_t kNamespaceFlags =
    CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNET;

struct CloneArgs {  // struct clone_args, ABI version 0
  uint64_t flags;
  uint64_t pidfd;
  uint64_t child_tid;
  uint64_t parent_tid;
  uint64_t exit_signal;
  uint64_t stack;
  uint64_t stack_size;
  uint64_t tls;
};

// fork(2) with extra flags and a pidfd, so the init is never confused with a recycled pid.
pid_t CloneWithPidfd(uint64_t flags, int* pidfd) {
  CloneArgs args{};
  args.flags = flags | CLONE_PIDFD;
  args.pidfd = reinterpret_cast<uint64_t>(pidfd);
  args.exit_signal = SIGCHLD;
  long pid = syscall(SYS_clone3, &args, sizeof args);
  // Container seccomp profiles (Docker's default) refuse clone3 whatever its flags, which a
  // filter cannot see; clone(2) carries the same flags in a register, where the filter judges
  // them and refuses only what it must (a user namespace), so the fallback path still works.
  if (pid < 0 && (errno == ENOSYS || errno == EPERM)) {
    pid = syscall(SYS_clone, flags | CLONE_PIDFD | SIGCHLD, nullptr, pidfd, nullptr, nullptr);
  }
  return static_cast<pid_t>(pid);
}

LaunchError SandboxError(std::string message, int err = 0, std::string hint = {}) {
  return LaunchError{LaunchErrorKind::kSandbox, Error{std::move(message), err, std::move(hint)}};
}

bool IsUserNamespaceRefusal(int err) {
  return err == EPERM || err == EACCES || err == EINVAL || err == ENOSPC || err == EUSERS;
}

// Mount steps fail with EPERM where a user namespace was created but holds no usable
// capabilities (AppArmor's unprivileged_userns profile on Ubuntu).
bool IsMountRefusal(const SetupMessage& m) {
  bool mount_step = m.step == SetupStep::kMakeMountsPrivate ||
                    m.step == SetupStep::kMountStagingRoot || m.step == SetupStep::kSetHostname;
  return mount_step && (m.err == EPERM || m.err == EACCES);
}

// The kernel rejects unknown filter flags with EINVAL before reading the program; a NULL
// program then fails with EFAULT, which means the flag is known.
bool SeccompFlagKnown(unsigned long flag) {
  return linux_api::Seccomp(SECCOMP_SET_MODE_FILTER,
                            static_cast<unsigned>(flag | SECCOMP_FILTER_FLAG_NEW_LISTENER),
                            nullptr) < 0 &&
         errno == EFAULT;
}

LaunchError DescribeStepFailure(const SetupMessage& message, const std::string& command) {
  if (message.step == SetupStep::kExec) {
    auto kind = message.err == ENOENT ? LaunchErrorKind::kCommandNotFound
                                      : LaunchErrorKind::kCommandNotRunnable;
    return LaunchError{kind, Error{command, message.err, {}}};
  }
  std::string hint;
  if (message.step == SetupStep::kChangeDirectory) {
    hint = "the working directory must lie inside a read or write path of the profile";
  }
  return SandboxError(std::string("sandbox set-up failed while ") + SetupStepName(message.step),
                      message.err, hint);
}

// The init has exactly one child before the agent runs anything: the agent.
pid_t OnlyChildOf(pid_t init) {
  std::string path = "/proc/" + std::to_string(init) + "/task/" + std::to_string(init) + "/children";
  FILE* file = fopen(path.c_str(), "re");
  if (file == nullptr) return -1;
  long child = -1;
  if (fscanf(file, "%ld", &child) != 1) child = -1;
  fclose(file);
  return static_cast<pid_t>(child);
}

void KillAndWait(pid_t pid, int pidfd) {
  linux_api::PidfdSendSignal(pidfd, SIGKILL);
  while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
  }
}

// A new file in the private scratch directory, for the view to bind.
Result<void> WriteSmallFile(const std::string& path, const std::string& text) {
  UniqueFd fd(open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644));
  if (!fd) return FailErrno("cannot create " + path);
  if (write(fd.Get(), text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    return FailErrno("cannot write " + path);
  }
  return {};
}

Result<ChildPlan> PrepareChildPlan(const Spec& spec, bool namespaces) {
  ChildPlan plan;
  plan.namespaces = namespaces;
  if (spec.argv.empty()) return Fail("no command given");
  if (spec.require_landlock && linux_api::LandlockAbi() == 0) {
    return Fail("this kernel has no Landlock and the profile requires it (require_landlock)",
                "enable Landlock (CONFIG_SECURITY_LANDLOCK, lsm=landlock,...) or set [session] "
                "require_landlock = false");
  }
  if (spec.inherited_fds.size() > kMaxPassedFds) return Fail("too many descriptors to pass");
  if (!namespaces) {
    // Landlock grants whole trees: a file inside a granted tree cannot be kept out.
    for (const auto& guarded : spec.protected_paths) {
      for (const auto* list : {&spec.filesystem.read, &spec.filesystem.write}) {
        for (const auto& granted : *list) {
          if (PathIsWithin(NormalizePath(guarded), NormalizePath(granted))) {
            return Fail("without namespaces " + guarded + " cannot be kept from the agent: it "
                        "lies inside the profile path " + granted,
                        "keep receipts and keys outside the profile's read and write paths");
          }
        }
      }
    }
  } else {
    auto mounts = PlanMounts(spec);
    if (!mounts) return tl::unexpected(mounts.error());
    plan.mounts = std::move(*mounts);
    for (const auto& dir : {plan.mounts.staging_root, plan.mounts.standins}) {
      if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return FailErrno("cannot create " + dir);
    }
    if (!plan.mounts.resolv_conf.empty()) {
      if (auto written = WriteSmallFile(plan.mounts.resolv_conf, spec.network.resolv_conf);
          !written) {
        return tl::unexpected(written.error());
      }
    }
  }
  bool tmp_writable = std::any_of(spec.filesystem.write.begin(), spec.filesystem.write.end(),
                                  [&](const std::string& p) {
                                    return NormalizePath(p) == spec.filesystem.private_tmp;
                                  });
  plan.mounts.tmp_writable = tmp_writable;
  plan.landlock = PlanLandlock(spec, namespaces, namespaces ? "/tmp" : spec.filesystem.private_tmp,
                               tmp_writable);
  auto seccomp = BuildSeccompProgram(spec.notified_syscalls);
  if (!seccomp) return tl::unexpected(seccomp.error());
  plan.seccomp = std::move(*seccomp);
  for (const auto& arg : spec.argv) plan.argv.push_back(const_cast<char*>(arg.c_str()));
  plan.argv.push_back(nullptr);
  plan.env_storage = spec.env;
  if (!namespaces) {
    // No mount namespace: the private /tmp is only reachable under its host path.
    for (auto& var : plan.env_storage) {
      if (var == "TMPDIR=/tmp") var = "TMPDIR=" + spec.filesystem.private_tmp;
    }
  }
  for (const auto& var : plan.env_storage) plan.envp.push_back(const_cast<char*>(var.c_str()));
  plan.envp.push_back(nullptr);
  plan.cwd = spec.cwd;
  plan.hostname = spec.hostname;
  plan.own_network = spec.network.isolate;
  if (namespaces && spec.network.isolate) {
    for (const ListenSocket& wanted : spec.network.listeners) {
      ListenerPlan listener;
      listener.type = wanted.datagram ? SOCK_DGRAM : SOCK_STREAM;
      listener.optional = wanted.optional;
      auto* v4 = reinterpret_cast<sockaddr_in*>(&listener.address);
      auto* v6 = reinterpret_cast<sockaddr_in6*>(&listener.address);
      if (inet_pton(AF_INET, wanted.address.c_str(), &v4->sin_addr) == 1) {
        listener.family = v4->sin_family = AF_INET;
        v4->sin_port = htons(wanted.port);
        listener.address_length = sizeof *v4;
      } else if (inet_pton(AF_INET6, wanted.address.c_str(), &v6->sin6_addr) == 1) {
        listener.family = v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(wanted.port);
        listener.address_length = sizeof *v6;
      } else {
        return Fail("not a numeric address for a sandbox listener: " + wanted.address);
      }
      plan.listeners.push_back(listener);
    }
  }
  plan.kept_fds = spec.inherited_fds;
  std::sort(plan.kept_fds.begin(), plan.kept_fds.end());
  plan.holds_setpcap = namespaces || geteuid() == 0;
  if (!spec.notified_syscalls.empty()) {
    // SECURITY: without WAIT_KILLABLE_RECV a signal arriving before the supervisor answers
    // fails the syscall with EINTR, which programs do not expect of open(2) or execve(2).
    if (!SeccompFlagKnown(SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV)) {
      return Fail("this kernel is older than 5.19: it cannot mediate without spurious EINTR "
                  "(SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV)",
                  "run aarm-run on Linux 5.19 or newer");
    }
    plan.seccomp_flags = SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
    plan.mediated = true;
  }
  return plan;
}

}  // namespace

tl::expected<Sandbox, LaunchError> Sandbox::Prepare(const Spec& spec) {
  Sandbox sandbox;
  bool namespaces = true;
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto plan = PrepareChildPlan(spec, namespaces);
    if (!plan) return tl::unexpected(LaunchError{LaunchErrorKind::kSandbox, plan.error()});
    sandbox.landlock_abi_ = plan->landlock.abi;

    int sockets[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sockets) != 0) {
      return tl::unexpected(SandboxError("socketpair", errno));
    }
    UniqueFd supervisor_end(sockets[0]);
    UniqueFd init_end(sockets[1]);
    int pidfd = -1;
    uint64_t flags = kNamespaceFlags & ~(spec.network.isolate ? 0 : uint64_t{CLONE_NEWNET});
    pid_t pid = CloneWithPidfd(namespaces ? flags : 0, &pidfd);
    if (pid == 0) {
      supervisor_end.Reset();
      RunSandboxInit(*plan, init_end.Get());
    }
    if (pid < 0) {
      int err = errno;
      if (namespaces && IsUserNamespaceRefusal(err)) {
        if (spec.require_namespaces) {
          return tl::unexpected(SandboxError("the kernel refuses to create user namespaces", err,
                                             UserNamespaceRefusalHint()));
        }
        namespaces = false;
        continue;
      }
      return tl::unexpected(SandboxError("cannot start the sandbox (clone3)", err));
    }
    init_end.Reset();
    UniqueFd init_pidfd(pidfd);

    if (namespaces) {
      auto maps = WriteIdMaps(pid, getuid(), getgid());
      if (!maps || !SendMessage(supervisor_end.Get(), SetupMessage{MessageKind::kIdMapsWritten})) {
        KillAndWait(pid, init_pidfd.Get());
        if (!maps && !spec.require_namespaces) {
          namespaces = false;
          continue;
        }
        Error error = maps ? Error{"the sandbox init died during set-up"} : maps.error();
        error.hint = UserNamespaceRefusalHint();
        return tl::unexpected(LaunchError{LaunchErrorKind::kSandbox, error});
      }
    }

    SetupMessage message{};
    sandbox.listeners_.clear();
    sandbox.listeners_.resize(spec.network.listeners.size());
    bool received = ReceiveMessage(supervisor_end.Get(), &message);
    while (received && message.kind == MessageKind::kListener &&
           static_cast<size_t>(message.value) < sandbox.listeners_.size()) {
      sandbox.listeners_[message.value].Reset(ReceiveFd(supervisor_end.Get()));
      received = sandbox.listeners_[message.value] && ReceiveMessage(supervisor_end.Get(), &message);
    }
    if (!received) {
      KillAndWait(pid, init_pidfd.Get());
      return tl::unexpected(SandboxError("the sandbox init died during set-up"));
    }
    if (message.kind == MessageKind::kStepFailed) {
      KillAndWait(pid, init_pidfd.Get());
      if (namespaces && IsMountRefusal(message)) {
        if (!spec.require_namespaces) {
          namespaces = false;
          continue;
        }
        return tl::unexpected(SandboxError(
            std::string("user namespaces are restricted here (") + SetupStepName(message.step) +
                " failed)",
            message.err, UserNamespaceRefusalHint()));
      }
      return tl::unexpected(DescribeStepFailure(message, spec.argv[0]));
    }
    if (message.kind != MessageKind::kAgentReady) {
      KillAndWait(pid, init_pidfd.Get());
      return tl::unexpected(SandboxError("the sandbox init sent an unexpected message"));
    }

    sandbox.agent_pid_ = OnlyChildOf(pid);
    if (sandbox.agent_pid_ <= 0) {
      KillAndWait(pid, init_pidfd.Get());
      return tl::unexpected(SandboxError("cannot find the agent process below the sandbox init"));
    }
    if (plan->mediated) {
      // The agent waits for the go byte, so its pid is still this process's.
      UniqueFd agent(linux_api::PidfdOpen(sandbox.agent_pid_, 0));
      if (agent) sandbox.notify_fd_.Reset(linux_api::PidfdGetfd(agent.Get(), message.value, 0));
      if (!sandbox.notify_fd_) {
        int err = errno;
        KillAndWait(pid, init_pidfd.Get());
        return tl::unexpected(SandboxError("cannot take the agent's seccomp listener "
                                           "(pidfd_getfd)", err));
      }
    }
    sandbox.status_socket_ = std::move(supervisor_end);
    sandbox.init_pidfd_ = std::move(init_pidfd);
    sandbox.init_pid_ = pid;
    sandbox.uses_namespaces_ = namespaces;
    sandbox.command_ = spec.argv[0];
    if (!namespaces) {
      sandbox.warnings_.push_back(
          "user namespaces are refused here; running with Landlock and seccomp alone: no private "
          "filesystem view (hide and readonly paths are NOT enforced), no PID or network "
          "isolation. Fix: " + UserNamespaceRefusalHint());
    }
    if (sandbox.landlock_abi_ == 0) {
      sandbox.warnings_.push_back("Landlock is not available in this kernel: writes are confined "
                                  "by the mount view alone");
    } else {
      for (const auto& right : plan->landlock.dropped) {
        sandbox.warnings_.push_back("Landlock ABI " + std::to_string(sandbox.landlock_abi_) +
                                    " cannot restrict " + right);
      }
    }
    return sandbox;
  }
  return tl::unexpected(SandboxError("cannot start the sandbox"));
}

Result<void> Sandbox::Start() {
  if (!SendMessage(status_socket_.Get(), SetupMessage{MessageKind::kExecAgent})) {
    KillAndReap();
    return Fail("the sandbox init died before the agent started");
  }
  return {};
}

Result<SandboxReport> Sandbox::ReadStatus() {
  SetupMessage message{};
  if (!ReceiveMessage(status_socket_.Get(), &message)) {
    int status = 0;
    while (waitpid(init_pid_, &status, 0) < 0 && errno == EINTR) {
    }
    reaped_ = true;
    return Fail("the sandbox init ended without reporting the agent's exit (status " +
                std::to_string(status) + ")");
  }
  if (message.kind == MessageKind::kStepFailed) {
    KillAndReap();
    return SandboxReport{std::nullopt, DescribeStepFailure(message, command_)};
  }
  if (message.kind != MessageKind::kAgentExited) return SandboxReport{};
  AgentExit exit;
  if (WIFSIGNALED(message.value)) {
    exit.signaled = true;
    exit.signal = WTERMSIG(message.value);
  } else {
    exit.code = WEXITSTATUS(message.value);
  }
  while (waitpid(init_pid_, nullptr, 0) < 0 && errno == EINTR) {
  }
  reaped_ = true;
  return SandboxReport{exit, std::nullopt};
}

void Sandbox::ForwardSignal(int signal) {
  if (status_socket_) {
    SendMessage(status_socket_.Get(), SetupMessage{MessageKind::kForwardSignal, SetupStep::kNone,
                                                   0, signal});
  }
}

void Sandbox::KillAndReap() {
  if (reaped_ || init_pid_ <= 0) return;
  KillAndWait(init_pid_, init_pidfd_.Get());
  reaped_ = true;
}

Sandbox::Sandbox(Sandbox&& other) noexcept
    : status_socket_(std::move(other.status_socket_)),
      listeners_(std::move(other.listeners_)),
      init_pidfd_(std::move(other.init_pidfd_)),
      init_pid_(std::exchange(other.init_pid_, -1)),
      notify_fd_(std::move(other.notify_fd_)),
      agent_pid_(other.agent_pid_),
      reaped_(other.reaped_),
      command_(std::move(other.command_)),
      uses_namespaces_(other.uses_namespaces_),
      landlock_abi_(other.landlock_abi_),
      warnings_(std::move(other.warnings_)) {}

Sandbox::~Sandbox() { KillAndReap(); }

}  // namespace aarm::sandbox
