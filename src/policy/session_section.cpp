// [session]: how actions no rule decides are decided, and what the kernel must offer.
#include <array>

#include "profile_layer.hpp"

namespace aarm::policy::detail {
namespace {

constexpr std::array<std::string_view, 3> kSupportedKeys = {"default", "require_namespaces",
                                                            "require_landlock"};
constexpr std::array<std::string_view, 4> kPlannedKeys = {"unattended", "step_up_timeout",
                                                          "record_reads", "unclassified"};
constexpr std::array<std::string_view, 2> kDecisions = {"allow", "deny"};
constexpr std::array<std::string_view, 1> kPlannedDecisions = {"step_up"};

std::string_view DecisionName(DefaultDecision decision) {
  switch (decision) {
    case DefaultDecision::kAllow: return "allow";
    case DefaultDecision::kDeny: return "deny";
  }
  return "deny";
}

}  // namespace

Result<void> ParseSessionSection(const toml::node& node, const ProfileSource& source,
                                 SessionLayer& layer) {
  auto table = ReadTable(node, "session", source);
  if (!table) return tl::unexpected(table.error());
  if (auto keys = CheckKeys(**table, {"session", kSupportedKeys, kPlannedKeys}, source); !keys) {
    return keys;
  }
  if (const toml::node* value = (*table)->get("default")) {
    auto decision = ReadChoice(*value, "session.default", kDecisions, kPlannedDecisions, source);
    if (!decision) return tl::unexpected(decision.error());
    layer.default_decision =
        *decision == "allow" ? DefaultDecision::kAllow : DefaultDecision::kDeny;
  }
  if (const toml::node* value = (*table)->get("require_namespaces")) {
    auto flag = ReadBool(*value, "session.require_namespaces", source);
    if (!flag) return tl::unexpected(flag.error());
    layer.require_namespaces = *flag;
  }
  if (const toml::node* value = (*table)->get("require_landlock")) {
    auto flag = ReadBool(*value, "session.require_landlock", source);
    if (!flag) return tl::unexpected(flag.error());
    layer.require_landlock = *flag;
  }
  return {};
}

void MergeSession(const SessionLayer& layer, SessionSettings& settings) {
  if (layer.default_decision) settings.default_decision = *layer.default_decision;
  if (layer.require_namespaces) settings.require_namespaces = *layer.require_namespaces;
  if (layer.require_landlock) settings.require_landlock = *layer.require_landlock;
}

void RenderSession(const SessionSettings& settings, toml::table& root) {
  toml::table session;
  session.insert("default", DecisionName(settings.default_decision));
  session.insert("require_namespaces", settings.require_namespaces);
  session.insert("require_landlock", settings.require_landlock);
  root.insert("session", std::move(session));
}

}  // namespace aarm::policy::detail
