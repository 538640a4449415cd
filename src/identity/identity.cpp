#include "aarm/identity/identity.hpp"

#include <pwd.h>
#include <sys/random.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

namespace aarm::identity {
namespace {

std::string UserName(uint32_t uid) {
  std::array<char, 16384> buffer{};
  passwd entry{};
  passwd* found = nullptr;
  if (getpwuid_r(static_cast<uid_t>(uid), &entry, buffer.data(), buffer.size(), &found) != 0 ||
      found == nullptr || found->pw_name == nullptr) {
    return {};
  }
  return found->pw_name;
}

std::string HostName() {
  utsname names{};
  if (uname(&names) != 0) return {};
  return names.nodename;
}

}  // namespace

Sources ProcessSources() {
  Sources sources;
  sources.uid = static_cast<uint32_t>(getuid());
  sources.env = [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
  sources.host = HostName();
  return sources;
}

std::string NewSessionId() {
  std::array<unsigned char, 16> bytes{};
  size_t filled = 0;
  while (filled < bytes.size()) {
    ssize_t n = getrandom(bytes.data() + filled, bytes.size() - filled, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      // SECURITY: getrandom only fails on kernels older than 3.17, far below what aarm needs.
      // A guessable session id would let sessions be confused with one another, so stop, as
      // BoringSSL does when the kernel's generator is unavailable.
      std::fprintf(stderr, "aarm: getrandom failed: %s\n", std::strerror(errno));
      std::abort();
    }
    filled += static_cast<size_t>(n);
  }
  bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0f) | 0x40);  // version 4
  bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3f) | 0x80);  // RFC 4122 variant
  std::string hex;
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) hex += '-';
    hex += fmt::format("{:02x}", bytes[i]);
  }
  return hex;
}

Identity Collect(std::string agent_name, std::vector<std::string> argv, const Sources& sources) {
  Identity identity;
  identity.human.uid = sources.uid;
  identity.human.user = UserName(sources.uid);
  // SECURITY: SUDO_USER means something only when sudo made us root; any other process can set
  // it to any name.
  if (sources.uid == 0) identity.human.sudo_user = sources.env("SUDO_USER").value_or("");
  identity.service = DetectService(sources.env);
  identity.agent.name = std::move(agent_name);
  identity.agent.argv = std::move(argv);
  identity.host = sources.host;
  identity.session = NewSessionId();
  return identity;
}

Identity Collect(std::string agent_name, std::vector<std::string> argv) {
  return Collect(std::move(agent_name), std::move(argv), ProcessSources());
}

nlohmann::json ToJson(const Identity& identity) {
  nlohmann::json human = {{"uid", identity.human.uid}, {"user", identity.human.user}};
  if (!identity.human.sudo_user.empty()) human["sudo_user"] = identity.human.sudo_user;

  nlohmann::json service = nullptr;
  if (!identity.service.ci.empty()) {
    service = {{"ci", identity.service.ci}};
    const std::pair<const char*, const std::string*> optional_fields[] = {
        {"repository", &identity.service.repository},
        {"run", &identity.service.run},
        {"job", &identity.service.job},
        {"workflow", &identity.service.workflow}};
    for (const auto& [key, value] : optional_fields) {
      if (!value->empty()) service[key] = *value;
    }
  }

  return {{"human", std::move(human)},
          {"service", std::move(service)},
          {"agent", {{"name", identity.agent.name}, {"argv", identity.agent.argv}}},
          {"host", identity.host},
          {"session", identity.session}};
}

}  // namespace aarm::identity
