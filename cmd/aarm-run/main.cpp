// aarm-run: runs COMMAND in the sandbox a profile describes and exits as COMMAND did.
// Exit status: COMMAND's own; 128+N when it died of signal N; 125 when aarm-run failed;
// 126 when COMMAND cannot be executed; 127 when it does not exist.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string_view>

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "aarm/policy/display_text.hpp"
#include "aarm/run/run.hpp"
#include "aarm/sandbox/kernel_features.hpp"

namespace {

constexpr int kExitAarmFailed = 125;

void PrintVersion() {
  std::cout << "aarm-run " << AARM_VERSION << "\n"
            << aarm::sandbox::DescribeKernelFeatures(aarm::sandbox::ProbeKernelFeatures());
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"aarm-run — run an AI agent under a runtime security profile\n\n"
               "usage: aarm-run [OPTIONS] -- COMMAND [ARG...]"};
  aarm::run::RunOptions options;
  bool verbose = false;
  bool show_version = false;
  std::string log_level;
  app.add_option("-p,--profile", options.profile, "shipped profile name or TOML file");
  app.add_option("--intent", options.intent, "what the human asked the agent to do");
  app.add_option("--agent", options.agent_name, "agent name in receipts (default: COMMAND)");
  app.add_option("-r,--receipts", options.receipts_path, "receipt log to append to");
  app.add_option("--key", options.key_path, "Ed25519 private key (PEM) to sign receipts");
  app.add_option("--status-fd", options.status_fd, "write a JSON status object to FD at exit");
  app.add_option("--pass-fd", options.passed_fds, "let the agent keep this descriptor (repeatable)");
  app.add_flag("--audit", options.audit, "record would-be decisions, enforce only forbid rules");
  app.add_flag("-q,--quiet", options.quiet, "no denial lines on stderr");
  app.add_flag("-v,--verbose", verbose, "diagnostics on stderr");
  app.add_option("--log-level", log_level, "trace|debug|info|warn|error|off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));
  app.add_flag("--version", show_version, "version and kernel features");
  // Options end at "--" (or, without it, at the first word that is not an option): what
  // follows is COMMAND, never parsed here. An unknown option is a usage error, not a command.
  int command_start = argc;
  bool explicit_separator = false;
  for (int i = 1; i < argc; ++i) {
    if (std::string_view(argv[i]) == "--") {
      command_start = i;
      explicit_separator = true;
      break;
    }
  }
  if (!explicit_separator) app.prefix_command();
  try {
    app.parse(command_start, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : kExitAarmFailed;
  }
  if (show_version) {
    PrintVersion();
    return 0;
  }
  if (explicit_separator) {
    if (!app.remaining().empty()) {
      std::cerr << "aarm-run: unexpected argument before --: " << app.remaining().front() << "\n";
      return kExitAarmFailed;
    }
    options.command.assign(argv + command_start + 1, argv + argc);
  } else {
    options.command = app.remaining();
    if (!options.command.empty() && options.command.front().rfind("-", 0) == 0) {
      std::cerr << "aarm-run: unknown option " << aarm::policy::EscapeForDisplay(options.command.front())
                << " (put COMMAND after --)\n";
      return kExitAarmFailed;
    }
  }
  if (options.command.empty()) {
    std::cerr << "aarm-run: no command given\n" << app.help();
    return kExitAarmFailed;
  }

  auto logger = spdlog::stderr_logger_st("aarm-run");
  logger->set_pattern("aarm-run: %l: %v");
  logger->set_level(verbose ? spdlog::level::debug : spdlog::level::warn);
  if (!log_level.empty()) logger->set_level(spdlog::level::from_str(log_level));
  spdlog::set_default_logger(logger);

  aarm::run::Outcome outcome = aarm::run::Execute(options);
  if (outcome.error) {
    std::cerr << "aarm-run: " << aarm::policy::EscapeForDisplay(outcome.error->Describe()) << "\n";
    if (!outcome.error->hint.empty()) {
      std::cerr << "aarm-run: hint: " << aarm::policy::EscapeForDisplay(outcome.error->hint) << "\n";
    }
  }
  return outcome.exit_status;
}
