// The session, in the order of ARCHITECTURE.md: choose and load the profile, build the sandbox
// from it, start the agent, pass signals on until it ends, and report how it ended.
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <filesystem>

#include <spdlog/spdlog.h>

#include "aarm/base/paths.hpp"
#include "aarm/policy/profile.hpp"
#include "aarm/run/run.hpp"
#include "aarm/sandbox/launcher.hpp"
#include "session_directory.hpp"
#include "signal_relay.hpp"
#include "spec_from_profile.hpp"

extern char** environ;

namespace aarm::run {
namespace {

constexpr int kExitAarmFailed = 125;
constexpr int kExitNotRunnable = 126;
constexpr int kExitNotFound = 127;

Outcome Failed(Error error, int status = kExitAarmFailed) {
  return Outcome{status, std::move(error)};
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
// aarm-run itself, so the shell regains the terminal as it would without aarm-run.
Result<sandbox::AgentExit> SuperviseUntilExit(sandbox::Sandbox& sandbox, SignalRelay& relay) {
  pollfd fds[2] = {{sandbox.StatusFd(), POLLIN, 0}, {relay.Fd(), POLLIN, 0}};
  for (;;) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return FailErrno("poll");
    }
    if (fds[1].revents & POLLIN) {
      while (int sig = relay.Next()) {
        sandbox.ForwardSignal(sig);
        if (sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU) kill(getpid(), SIGSTOP);
      }
    }
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      auto status = sandbox.ReadStatus();
      if (!status) return tl::unexpected(status.error());
      if (*status) return **status;
    }
  }
}

}  // namespace

Outcome Execute(const RunOptions& options) {
  if (options.command.empty()) return Failed(Error{"no command given"});

  char cwd_buffer[PATH_MAX];
  if (getcwd(cwd_buffer, sizeof cwd_buffer) == nullptr) {
    return Failed(Error{"cannot determine the working directory", errno});
  }
  std::string cwd = cwd_buffer;
  std::string project = FindProjectRoot(cwd);

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

  auto relay = SignalRelay::Install();
  if (!relay) return Failed(relay.error());

  auto sandbox = sandbox::Sandbox::Launch(*spec);
  if (!sandbox) {
    const auto& failure = sandbox.error();
    switch (failure.kind) {
      case sandbox::LaunchErrorKind::kCommandNotFound:
        return Failed(failure.error, kExitNotFound);
      case sandbox::LaunchErrorKind::kCommandNotRunnable:
        return Failed(failure.error, kExitNotRunnable);
      case sandbox::LaunchErrorKind::kSandbox:
        return Failed(failure.error);
    }
  }
  for (const auto& warning : sandbox->Warnings()) spdlog::warn("{}", warning);

  auto exit = SuperviseUntilExit(*sandbox, *relay);
  if (!exit) return Failed(exit.error());
  return Outcome{exit->ShellStatus(), std::nullopt};
}

}  // namespace aarm::run
