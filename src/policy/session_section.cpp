// [session]: how actions no rule decides are decided, which reads get receipts of their own,
// and what the kernel must offer.
#include <fmt/format.h>

#include <array>

#include "aarm/policy/display_text.hpp"
#include "profile_layer.hpp"

namespace aarm::policy {

std::string_view RecordReadsName(RecordReads record_reads) {
  switch (record_reads) {
    case RecordReads::kAll: return "all";
    case RecordReads::kSensitive: return "sensitive";
  }
  return "sensitive";
}

namespace detail {
namespace {

constexpr std::array<std::string_view, 5> kSupportedKeys = {
    "default", "require_namespaces", "require_landlock", "record_reads", "unclassified"};
constexpr std::array<std::string_view, 2> kPlannedKeys = {"unattended", "step_up_timeout"};
constexpr std::array<std::string_view, 2> kDecisions = {"allow", "deny"};
constexpr std::array<std::string_view, 1> kPlannedDecisions = {"step_up"};
constexpr std::array<std::string_view, 2> kRecordReads = {"all", "sensitive"};

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
  if (const toml::node* value = (*table)->get("record_reads")) {
    auto choice = ReadChoice(*value, "session.record_reads", kRecordReads, {}, source);
    if (!choice) return tl::unexpected(choice.error());
    layer.record_reads = *choice == "all" ? RecordReads::kAll : RecordReads::kSensitive;
  }
  if (const toml::node* value = (*table)->get("unclassified")) {
    auto name = ReadText(*value, "session.unclassified", source);
    if (!name) return tl::unexpected(name.error());
    if (!IsValidLabelName(*name)) {
      return tl::unexpected(source.At(
          *value, fmt::format("session.unclassified {} is not a label name (letters, digits, "
                              "'-' and '_', starting with a letter, at most 64 bytes)",
                              QuoteForDisplay(*name))));
    }
    layer.unclassified = std::move(*name);
    layer.unclassified_where = source.Location(*value);
  }
  return {};
}

void MergeSession(const SessionLayer& layer, SessionSettings& settings) {
  if (layer.default_decision) settings.default_decision = *layer.default_decision;
  if (layer.require_namespaces) settings.require_namespaces = *layer.require_namespaces;
  if (layer.require_landlock) settings.require_landlock = *layer.require_landlock;
  if (layer.record_reads) settings.record_reads = *layer.record_reads;
  if (layer.unclassified) settings.unclassified = *layer.unclassified;
}

void RenderSession(const SessionSettings& settings, toml::table& root) {
  toml::table session;
  session.insert("default", DecisionName(settings.default_decision));
  session.insert("require_namespaces", settings.require_namespaces);
  session.insert("require_landlock", settings.require_landlock);
  session.insert("record_reads", RecordReadsName(settings.record_reads));
  session.insert("unclassified", settings.unclassified);
  root.insert("session", std::move(session));
}

}  // namespace detail
}  // namespace aarm::policy
