// Who is acting in a session: the human who started it, the CI service it runs under, the agent
// program, the host and the session id. Recorded in the first receipt of every session.
//
// SECURITY: the human is taken from the real uid (getuid) and the password database, never from
// $USER or $LOGNAME, which any parent process can set. The service fields come from the CI
// system's own environment variables: they say what the CI runner claims, and are worth as much
// as the runner is trusted.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace aarm::identity {

struct Human {
  uint32_t uid = 0;       // real uid of the process that started the session
  std::string user;       // its name in the password database; empty when it has no entry
  std::string sudo_user;  // $SUDO_USER, only when uid is 0 (sudo sets it); else empty
};

// The CI system the session runs under; `ci` is empty outside CI. Other fields are empty when
// the system does not provide them.
struct Service {
  std::string ci;          // "github-actions", "gitlab-ci", "jenkins", "buildkite", "circleci",
                           // or "ci" for an unrecognised system that sets CI=true
  std::string repository;  // owner/name, project path or clone URL, as the system names it
  std::string run;         // the run, pipeline or build id
  std::string job;         // the job within the run
  std::string workflow;    // the workflow or pipeline name
};

struct Agent {
  std::string name;               // --agent, or the basename of the command
  std::vector<std::string> argv;  // the full command line, as given (bytes, maybe not UTF-8)
};

struct Identity {
  Human human;
  Service service;
  Agent agent;
  std::string host;     // hostname (uname nodename)
  std::string session;  // UUID v4
};

// Reads one environment variable; std::nullopt when unset.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

// Where Collect looks. ProcessSources() is the running process; tests substitute their own.
struct Sources {
  uint32_t uid = 0;  // real uid
  EnvLookup env;
  std::string host;
};
Sources ProcessSources();

// The identity of a new session started by this process with a fresh session id.
Identity Collect(std::string agent_name, std::vector<std::string> argv);
Identity Collect(std::string agent_name, std::vector<std::string> argv, const Sources& sources);

// The CI system named by the environment (the first match in the order of the Service comment),
// or a Service with an empty `ci` outside CI.
Service DetectService(const EnvLookup& env);

// A random UUID v4 from getrandom(2), lowercase, "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx".
std::string NewSessionId();

// The `identity` object of a session.start receipt: {"human":{"uid","user","sudo_user"?},
// "service":{"ci","repository"?,"run"?,"job"?,"workflow"?} or null outside CI,
// "agent":{"name","argv"}, "host", "session"}. Empty optional fields are left out. Strings are
// stored as given; the receipt writer replaces any that are not valid UTF-8 (see
// aarm/receipts/canonical.hpp).
nlohmann::json ToJson(const Identity& identity);

}  // namespace aarm::identity
