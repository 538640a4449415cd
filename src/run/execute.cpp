// The session, in the order of ARCHITECTURE.md: choose and load the profile, build the sandbox
// from it, start the agent, pass signals on until it ends, and report how it ended.
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <filesystem>

#include <spdlog/spdlog.h>

#include "aarm/base/paths.hpp"
#include "aarm/identity/identity.hpp"
#include "aarm/network/network_service.hpp"
#include "aarm/policy/profile.hpp"
#include "aarm/receipts/canonical.hpp"
#include "aarm/receipts/session_log.hpp"
#include "aarm/receipts/signing_key.hpp"
#include "aarm/run/run.hpp"
#include "aarm/policy/engine.hpp"
#include "aarm/sandbox/launcher.hpp"
#include "aarm/supervisor/exec_guard.hpp"
#include "aarm/supervisor/supervisor.hpp"
#include "aarm/syscalls/mediated.hpp"
#include "receipt_observer.hpp"
#include "session_directory.hpp"
#include "session_status.hpp"
#include "signal_relay.hpp"
#include "spec_from_profile.hpp"

extern char** environ;

namespace aarm::run {
namespace {

constexpr int kExitAarmFailed = 125;
constexpr int kExitNotRunnable = 126;
constexpr int kExitNotFound = 127;
// Concurrent decisions: enough that a slow one (a big argv, a deep path) never stalls the
// others on this 2-CPU class of machine, few enough to stay cheap.
constexpr unsigned kMediationWorkers = 4;
// Files below hidden paths checked by device and inode (only those with several names count).
constexpr size_t kMaxHiddenObjects = 100000;

Outcome Failed(Error error, int status = kExitAarmFailed) {
  return Outcome{status, std::move(error)};
}

Outcome FailedLaunch(const sandbox::LaunchError& failure) {
  switch (failure.kind) {
    case sandbox::LaunchErrorKind::kCommandNotFound:
      return Failed(failure.error, kExitNotFound);
    case sandbox::LaunchErrorKind::kCommandNotRunnable:
      return Failed(failure.error, kExitNotRunnable);
    case sandbox::LaunchErrorKind::kSandbox:
      return Failed(failure.error);
  }
  return Failed(failure.error);
}

std::string EnvironmentOr(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value ? std::string(value) : fallback;
}

std::string CanonicalOrSelf(const std::string& path) {
  char buffer[PATH_MAX];
  return realpath(path.c_str(), buffer) ? std::string(buffer) : NormalizePath(path);
}

// -p, else the project's .aarm/profile.toml, else the shipped default.
std::string ChooseProfile(const RunOptions& options, const std::string& project) {
  if (options.profile) return *options.profile;
  std::string project_profile = project + "/.aarm/profile.toml";
  if (access(project_profile.c_str(), F_OK) == 0) return project_profile;
  return "default";
}

std::vector<std::string> CurrentEnvironment() {
  std::vector<std::string> env;
  for (char** entry = environ; entry && *entry; ++entry) env.emplace_back(*entry);
  return env;
}

// Passes signals on until the agent ends. A stop request stops the agent's group first, then
// aarm-run itself, so the shell regains the terminal as it would without aarm-run. A
// supervisor failure (a receipt that could not be written) ends the session.
Result<sandbox::SandboxReport> SuperviseUntilExit(sandbox::Sandbox& sandbox, SignalRelay& relay,
                                              supervisor::Supervisor& mediation,
                                              supervisor::ExecGuard& exec_guard,
                                              network::NetworkService* network,
                                              const policy::Engine& engine,
                                              supervisor::ActionObserver& observer, bool audit) {
  pollfd fds[6] = {{sandbox.StatusFd(), POLLIN, 0},
                   {relay.Fd(), POLLIN, 0},
                   {mediation.FailureFd(), POLLIN, 0},
                   {exec_guard.ReportFd(), POLLIN, 0},
                   {mediation.InlineFd(), POLLIN, 0},
                   {network ? network->FailureFd() : -1, POLLIN, 0}};
  for (;;) {
    if (poll(fds, 6, -1) < 0) {
      if (errno == EINTR) continue;
      return FailErrno("poll");
    }
    if (fds[4].revents & POLLIN) mediation.ServeOne();
    if (fds[3].revents & (POLLIN | POLLHUP)) {
      if (auto killed = exec_guard.ReadReport()) {
        // The program loaded was not the one decided at execve: the tracer killed it.
        policy::Action action;
        action.kind = policy::ActionKind::kProcessExec;
        action.path = killed->program;
        action.argv = {killed->program};
        action.process.pid = killed->pid;
        policy::Decision decision = engine.Decide(action);
        bool enforced = !audit || decision.forbidden;
        if (auto recorded = observer.OnDecided(action, decision, enforced, {false, EPERM});
            !recorded) {
          return Fail("the session was stopped: " + recorded.error().Describe());
        }
      } else {
        fds[3].fd = -1;  // the tracer is gone with the tree
      }
    }
    if (fds[2].revents & POLLIN) {
      Error failure = mediation.Failure().value_or(Error{"mediation failed"});
      return Fail("the session was stopped: " + failure.Describe());
    }
    if (fds[5].revents & POLLIN) {
      Error failure = network->Failure().value_or(Error{"the network service failed"});
      return Fail("the session was stopped: " + failure.Describe());
    }
    if (fds[1].revents & POLLIN) {
      while (int sig = relay.Next()) {
        sandbox.ForwardSignal(sig);
        if (sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU) kill(getpid(), SIGSTOP);
      }
    }
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      auto report = sandbox.ReadStatus();
      if (!report) return tl::unexpected(report.error());
      if (report->Final()) return *report;
    }
  }
}

}  // namespace

Outcome Execute(const RunOptions& options) {
  if (options.command.empty()) return Failed(Error{"no command given"});
  // Descriptors named on the command line must be open now, not discovered closed at the end
  // of a session that already ran.
  for (int fd : options.passed_fds) {
    if (fd < 3 || fcntl(fd, F_GETFD) < 0) {
      return Failed(Error{"--pass-fd " + std::to_string(fd) + ": not an open descriptor above 2"});
    }
  }
  if (options.status_fd && (*options.status_fd < 0 || fcntl(*options.status_fd, F_GETFD) < 0)) {
    return Failed(Error{"--status-fd " + std::to_string(*options.status_fd) +
                        ": not an open descriptor"});
  }

  char cwd_buffer[PATH_MAX];
  if (getcwd(cwd_buffer, sizeof cwd_buffer) == nullptr) {
    return Failed(Error{"cannot determine the working directory", errno});
  }
  std::string cwd = cwd_buffer;
  std::string project = policy::FindProjectDirectory(cwd);

  auto shipped = ShippedProfileDir();
  if (!shipped) return Failed(shipped.error());
  auto profile = policy::LoadProfile(ChooseProfile(options, project), *shipped);
  if (!profile) return Failed(profile.error());

  auto session_dir = SessionDirectory::Create();
  if (!session_dir) return Failed(session_dir.error());

  policy::PathVariables variables{project, CanonicalOrSelf(HomeDirectory()), cwd,
                                  session_dir->PrivateTmp()};
  SpecInputs inputs{options.command, CurrentEnvironment(), session_dir->Path(),
                    options.passed_fds};
  auto spec = SpecFromProfile(*profile, variables, inputs);
  if (!spec) return Failed(spec.error());
  // Sends and binds reach the host's network where the agent may share it: in mode host, and
  // wherever the sandbox may fall back to running without namespaces.
  bool may_share_network = profile->network.mode == policy::NetworkMode::kHost ||
                           !profile->session.require_namespaces;
  spec->notified_syscalls = syscalls::NotifiedSyscalls(may_share_network);

  auto relay = SignalRelay::Install();
  if (!relay) return Failed(relay.error());

  // Who acts, under which key, into which log — all settled before anything of the agent runs.
  identity::Identity who = identity::Collect(
      options.agent_name.value_or(std::filesystem::path(options.command.front()).filename()),
      options.command);
  auto key = receipts::ResolveSigningKey(options.key_path.value_or(""));
  if (!key) return Failed(key.error());
  std::vector<std::string> warnings;
  if (!key->Pinned()) {
    warnings.push_back("receipts are signed with a fresh key nobody pinned; create one with "
                       "'aarm keygen' so 'aarm verify --key' can prove who signed them");
  } else {
    spec->protected_paths.push_back(CanonicalOrSelf(key->Origin()));
  }
  std::string receipts_path = NormalizePath(
      options.receipts_path.value_or(XdgStateHome() + "/aarm/receipts/" + who.session + ".jsonl"),
      cwd);
  auto log = receipts::SessionLog::Open(receipts_path, std::move(*key), who.session);
  if (!log) return Failed(log.error());
  spec->protected_paths.push_back(CanonicalOrSelf(receipts_path));

  auto sandbox = sandbox::Sandbox::Prepare(*spec);
  if (!sandbox) return FailedLaunch(sandbox.error());
  // Rules see paths as the agent does: in its own mount namespace {tmp} is /tmp.
  policy::PathVariables agent_variables = variables;
  if (sandbox->UsesNamespaces()) agent_variables.tmp = "/tmp";
  auto engine = policy::Engine::Compile(*profile, agent_variables);
  if (!engine) return Failed(engine.error());
  for (const auto& warning : sandbox->Warnings()) warnings.push_back(warning);
  bool proxied = profile->network.mode == policy::NetworkMode::kProxy;
  if (proxied && !sandbox->UsesNamespaces()) {
    proxied = false;
    warnings.push_back("without a network namespace the proxy cannot be the only way out: "
                       "connections are decided by address, as in [network] mode = \"host\"");
  }
  for (const auto& warning : warnings) spdlog::warn("{}", warning);

  receipts::ProfileRecord profile_record{profile->name,
                                         receipts::Sha256Hex(profile->effective_toml),
                                         profile->effective_toml};
  std::string intent = options.intent.value_or(EnvironmentOr("AARM_INTENT", ""));
  if (auto started = log->Start(identity::ToJson(who), profile_record, intent, warnings);
      !started) {
    return Failed(Error{"cannot write receipts to " + receipts_path + ": " +
                        started.error().Describe()});
  }

  // What the supervisor creates for the agent gets the agent's umask, applied explicitly.
  umask(0);
  ReceiptObserver observer(*log, profile_record.sha256, options.quiet);
  // The tracer is forked before the worker threads exist.
  auto exec_guard = supervisor::ExecGuard::Start(sandbox->AgentPid(), *engine, options.audit);
  if (!exec_guard) return Failed(exec_guard.error());
  // Hidden files, the receipt log and the key, by device and inode: other names of them (hard
  // links made before the session) are refused too.
  std::vector<std::string> never_reached = spec->filesystem.hide;
  never_reached.insert(never_reached.end(), spec->protected_paths.begin(),
                       spec->protected_paths.end());
  supervisor::HiddenObjects hidden =
      supervisor::CollectHiddenObjects(never_reached, kMaxHiddenObjects);
  if (hidden.skipped) {
    spdlog::warn("{} files below hidden paths are not covered against hard links (limit {})",
                 hidden.skipped, kMaxHiddenObjects);
  }
  std::unique_ptr<network::NetworkService> network;
  bool network_ipv6 = false;
  if (proxied) {
    network::ServiceSockets sockets = ServiceSocketsFrom(sandbox->TakeListeners());
    network_ipv6 = static_cast<bool>(sockets.transparent_v6);
    auto started =
        network::NetworkService::Start(std::move(sockets), *engine, observer, {.audit = options.audit});
    if (!started) return Failed(started.error());
    network = std::move(*started);
  }
  supervisor::SupervisorOptions mediation_options;
  mediation_options.audit = options.audit;
  mediation_options.workers = kMediationWorkers;
  mediation_options.agent_in_namespaces = sandbox->UsesNamespaces() ? sandbox->AgentPid() : 0;
  mediation_options.hidden = &hidden;
  mediation_options.network_mode = profile->network.mode;
  mediation_options.network = network.get();
  mediation_options.network_ipv6 = network_ipv6;
  auto mediation = supervisor::Supervisor::Start(sandbox->TakeNotifyFd(), *engine, observer,
                                                 mediation_options);
  if (!mediation) return Failed(mediation.error());

  SessionStatus status{who.session, receipts_path};
  sandbox::AgentExit exit;
  std::optional<Outcome> launch_failure;
  if (auto started = sandbox->Start(); !started) return Failed(started.error());
  auto ended = SuperviseUntilExit(*sandbox, *relay, **mediation, *exec_guard, network.get(),
                                  *engine, observer, options.audit);
  if (!ended) return Failed(ended.error());
  if (ended->launch_error) {
    launch_failure = FailedLaunch(*ended->launch_error);
    exit.code = launch_failure->exit_status;
  } else {
    exit = *ended->exit;
  }
  (*mediation)->Stop();
  // Connections still open leave their closing records before session.end.
  if (network) network->Stop();

  receipts::ExitStatus recorded_exit;
  if (exit.signaled) {
    recorded_exit.signal = exit.signal;
  } else {
    recorded_exit.code = exit.code;
  }
  // Every worker has stopped: nothing is counted after this.
  const receipts::DecisionCounts counted = observer.CountedSoFar();
  if (auto ended = log->End(recorded_exit, counted); !ended) {
    return Failed(Error{"cannot write receipts to " + receipts_path + ": " +
                        ended.error().Describe()});
  }
  status.exit_status = exit.ShellStatus();
  status.head = log->Head();
  status.records = log->RecordCount();
  status.counts = AddCounts(log->RecordedCounts(), counted);
  spdlog::info("receipts: {} (head {})", receipts_path, status.head);
  if (options.status_fd) {
    if (auto written = WriteSessionStatus(*options.status_fd, status); !written) {
      return Failed(written.error());
    }
  }
  if (launch_failure) return *launch_failure;
  return Outcome{exit.ShellStatus(), std::nullopt};
}

}  // namespace aarm::run
