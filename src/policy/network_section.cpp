// [network]: whether the sandbox has a network, and which destinations it may reach.
#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "aarm/policy/display_text.hpp"
#include "network_patterns.hpp"
#include "profile_layer.hpp"

namespace aarm::policy {

std::string_view NetworkModeName(NetworkMode mode) {
  switch (mode) {
    case NetworkMode::kNone: return "none";
    case NetworkMode::kProxy: return "proxy";
    case NetworkMode::kHost: return "host";
  }
  return "none";
}

namespace detail {
namespace {

constexpr std::array<std::string_view, 4> kSupportedKeys = {"mode", "allow", "default", "hosts"};
constexpr std::array<std::string_view, 3> kModes = {"none", "proxy", "host"};
constexpr std::array<std::string_view, 2> kDefaults = {"allow", "deny"};
constexpr std::array<std::string_view, 1> kPlannedDefaults = {"step_up"};

Result<NetworkMode> ReadMode(const toml::node& node, const ProfileSource& source) {
  auto mode = ReadChoice(node, "network.mode", kModes, {}, source);
  if (!mode) return tl::unexpected(mode.error());
  if (*mode == "proxy") return NetworkMode::kProxy;
  if (*mode == "host") return NetworkMode::kHost;
  return NetworkMode::kNone;
}

Result<std::vector<RulePattern>> ReadAllow(const toml::node& node, const ProfileSource& source) {
  const toml::array* array = node.as_array();
  if (!array) {
    return tl::unexpected(source.At(
        node, fmt::format("network.allow must be an array of \"host[:port]\" strings, not {}",
                          TypeName(node))));
  }
  std::vector<RulePattern> entries;
  for (const toml::node& element : *array) {
    const auto* value = element.as_string();
    if (!value) {
      return tl::unexpected(source.At(
          element,
          fmt::format("each entry of network.allow must be a string, not {}", TypeName(element))));
    }
    const std::string& text = value->get();
    if (auto entry = ParseAllowEntry(text); !entry) {
      return tl::unexpected(source.At(element, fmt::format("network.allow entry {} {}",
                                                           QuoteForDisplay(text),
                                                           entry.error().message)));
    }
    const bool seen = std::any_of(entries.begin(), entries.end(),
                                  [&text](const RulePattern& entry) { return entry.text == text; });
    if (!seen) entries.push_back({text, source.Location(element)});
  }
  return entries;
}

Result<std::vector<std::pair<std::string, std::string>>> ReadHosts(const toml::node& node,
                                                                   const ProfileSource& source) {
  auto table = ReadTable(node, "network.hosts", source);
  if (!table) return tl::unexpected(table.error());
  struct Entry {
    const toml::key* key;
    const toml::node* value;
    toml::source_position where;
  };
  std::vector<Entry> entries;
  for (const auto& [key, value] : **table) {
    entries.push_back(
        {&key, &value, key.source().begin.line != 0 ? key.source().begin : value.source().begin});
  }
  // toml++ orders the table by name; a name given twice is reported where it is written again.
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return std::pair(a.where.line, a.where.column) < std::pair(b.where.line, b.where.column);
  });
  std::vector<std::pair<std::string, std::string>> hosts;
  for (const auto& [key_node, value_node, where] : entries) {
    const toml::key& key = *key_node;
    const toml::node& value = *value_node;
    const std::string shown = QuoteForDisplay(key.str());
    auto name = NormalizeHostName(key.str());
    if (!name) {
      std::string_view written = key.str();
      if (written.ends_with('.')) written.remove_suffix(1);
      // A name too long for the DNS is said so; a glob is not a name at all.
      const bool glob = written.find_first_of("*?[") != std::string_view::npos;
      const auto length = glob ? std::nullopt : HostLengthProblem(written);
      return tl::unexpected(source.At(
          where, length ? fmt::format("network.hosts name {} {}", shown, *length)
                        : fmt::format("network.hosts name {} is not a host name (letters, "
                                      "digits, '-' and '_' in labels separated by '.')",
                                      shown)));
    }
    const auto* text = value.as_string();
    const auto address = text ? ParseAddress(text->get()) : std::nullopt;
    if (!address) {
      return tl::unexpected(source.At(
          value, fmt::format("network.hosts value for {} must be an IP address, not {}", shown,
                             text ? QuoteForDisplay(text->get()) : std::string(TypeName(value)))));
    }
    const auto same = std::find_if(hosts.begin(), hosts.end(),
                                   [&name](const auto& host) { return host.first == *name; });
    if (same != hosts.end()) {
      return tl::unexpected(source.At(
          where, fmt::format("network.hosts names {} twice (names are compared ignoring case)",
                             QuoteForDisplay(*name))));
    }
    hosts.emplace_back(std::move(*name), FormatAddress(*address));
  }
  return hosts;
}

}  // namespace

Result<void> ParseNetworkSection(const toml::node& node, const ProfileSource& source,
                                 NetworkLayer& layer) {
  auto table = ReadTable(node, "network", source);
  if (!table) return tl::unexpected(table.error());
  if (auto keys = CheckKeys(**table, {"network", kSupportedKeys, {}}, source); !keys) {
    return keys;
  }
  layer.where = source.Location(node);
  if (const toml::node* value = (*table)->get("mode")) {
    auto mode = ReadMode(*value, source);
    if (!mode) return tl::unexpected(mode.error());
    layer.mode = *mode;
  }
  if (const toml::node* value = (*table)->get("allow")) {
    auto allow = ReadAllow(*value, source);
    if (!allow) return tl::unexpected(allow.error());
    layer.allow = std::move(*allow);
  }
  if (const toml::node* value = (*table)->get("default")) {
    auto decision = ReadChoice(*value, "network.default", kDefaults, kPlannedDefaults, source);
    if (!decision) return tl::unexpected(decision.error());
    layer.default_decision =
        *decision == "allow" ? DefaultDecision::kAllow : DefaultDecision::kDeny;
  }
  if (const toml::node* value = (*table)->get("hosts")) {
    auto hosts = ReadHosts(*value, source);
    if (!hosts) return tl::unexpected(hosts.error());
    layer.hosts = std::move(*hosts);
  }
  return {};
}

void MergeNetwork(const NetworkLayer& layer, NetworkSettings& settings) {
  if (layer.mode) {
    settings.mode = *layer.mode;
    settings.mode_set = true;
  }
  for (const RulePattern& entry : layer.allow) {
    const bool seen = std::any_of(settings.allow.begin(), settings.allow.end(),
                                  [&entry](const RulePattern& e) { return e.text == entry.text; });
    if (!seen) settings.allow.push_back(entry);
  }
  if (layer.default_decision) settings.default_decision = *layer.default_decision;
  for (const auto& [name, address] : layer.hosts) {
    const auto same =
        std::find_if(settings.hosts.begin(), settings.hosts.end(),
                     [&name](const auto& host) { return host.first == name; });
    if (same != settings.hosts.end()) {
      same->second = address;
    } else {
      settings.hosts.emplace_back(name, address);
    }
  }
  if (layer.where) settings.where = *layer.where;
}

void RenderNetwork(const NetworkSettings& settings, toml::table& root) {
  toml::table network;
  network.insert("mode", NetworkModeName(settings.mode));
  toml::array allow;
  for (const RulePattern& entry : settings.allow) allow.push_back(entry.text);
  network.insert("allow", std::move(allow));
  network.insert("default",
                 settings.default_decision == DefaultDecision::kAllow ? "allow" : "deny");
  toml::table hosts;
  for (const auto& [name, address] : settings.hosts) hosts.insert(name, address);
  hosts.is_inline(true);
  network.insert("hosts", std::move(hosts));
  root.insert("network", std::move(network));
}

}  // namespace detail
}  // namespace aarm::policy
