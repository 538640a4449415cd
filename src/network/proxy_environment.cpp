#include <fmt/format.h>

#include <cctype>

#include "aarm/network/network_service.hpp"

namespace aarm::network {

std::vector<std::string> ProxyEnvironment() {
  const std::string http = fmt::format("http://127.0.0.1:{}", kHttpProxyPort);
  // socks5h: names go to the proxy unresolved, so they are decided as names.
  const std::string socks = fmt::format("socks5h://127.0.0.1:{}", kSocksProxyPort);
  const std::string local = "localhost,127.0.0.1,::1";
  std::vector<std::string> env;
  for (const auto& [name, value] : {std::pair{"HTTP_PROXY", http}, std::pair{"HTTPS_PROXY", http},
                                    std::pair{"ALL_PROXY", socks}, std::pair{"NO_PROXY", local}}) {
    std::string lower = name;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    env.push_back(fmt::format("{}={}", name, value));
    // Some programs read only the lower-case form (curl ignores HTTP_PROXY).
    env.push_back(fmt::format("{}={}", lower, value));
  }
  return env;
}

std::string ResolvConf() {
  // A lookup fails within seconds: the sandbox's resolver answers at once unless the host's
  // resolver is failing, and long retries would only make the agent hang.
  return fmt::format(
      "# The sandbox's resolver: names are decided by the profile before any is looked up.\n"
      "nameserver 127.0.0.1\n"
      "options timeout:2 attempts:2\n");
}

}  // namespace aarm::network
