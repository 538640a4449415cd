// [[rule]]: how actions are decided, one rule at a time.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>

#include "aarm/policy/display_text.hpp"
#include "compiled_rule.hpp"
#include "key_suggestions.hpp"
#include "profile_layer.hpp"

namespace aarm::policy {

std::string_view RuleDecisionName(RuleDecision decision) {
  switch (decision) {
    case RuleDecision::kAllow: return "allow";
    case RuleDecision::kDeny: return "deny";
    case RuleDecision::kForbid: return "forbid";
  }
  return "deny";
}

namespace detail {
namespace {

constexpr std::array<std::string_view, 5> kRuleKeys = {"id", "on", "match", "decision", "reason"};
constexpr std::array<std::string_view, 2> kPlannedRuleKeys = {"when", "modify"};
constexpr std::array<std::string_view, 3> kDecisions = {"allow", "deny", "forbid"};
constexpr std::array<std::string_view, 3> kPlannedDecisions = {"step_up", "defer", "modify"};
// `on = "file.*"`: every file.* kind.
constexpr std::string_view kAllFileKinds = "file.*";

// Stand-ins for the path variables, so that patterns are checked at load; the engine compiles
// them again with the session's values.
const PathVariables kPlaceholderVariables{"/project", "/home", "/cwd", "/tmp"};

bool IsFileKind(ActionKind kind) { return ActionKindName(kind).starts_with("file."); }

// An id is referred to from messages, receipts and the command line: a plain word.
bool IsValidId(std::string_view id) {
  auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
  return !id.empty() && word(id.front()) && std::all_of(id.begin(), id.end(), [&](char c) {
    return word(c) || c == '-' || c == '_' || c == '.';
  });
}

// The entries of a non-empty array of strings.
Result<std::vector<const toml::node*>> ReadStringEntries(const toml::array& array,
                                                         std::string_view name,
                                                         const ProfileSource& source) {
  if (array.empty()) {
    return tl::unexpected(source.At(array, fmt::format("{} is an empty array", name)));
  }
  std::vector<const toml::node*> items;
  for (const toml::node& item : array) {
    if (!item.is_string()) {
      return tl::unexpected(source.At(
          item, fmt::format("each entry of {} must be a string, not {}", name, TypeName(item))));
    }
    items.push_back(&item);
  }
  return items;
}

// A value written as one string or as a non-empty array of them; `expected` names the item
// ("an action kind").
Result<std::vector<const toml::node*>> ReadOneOrMany(const toml::node& node,
                                                     std::string_view name,
                                                     std::string_view expected,
                                                     const ProfileSource& source) {
  if (node.is_string()) return std::vector<const toml::node*>{&node};
  if (const toml::array* array = node.as_array()) return ReadStringEntries(*array, name, source);
  return tl::unexpected(source.At(node, fmt::format("{} must be {} or an array of them, not {}",
                                                    name, expected, TypeName(node))));
}

// A non-empty array of strings.
Result<std::vector<const toml::node*>> ReadStrings(const toml::node& node, std::string_view name,
                                                   const ProfileSource& source) {
  if (const toml::array* array = node.as_array()) return ReadStringEntries(*array, name, source);
  return tl::unexpected(source.At(
      node, fmt::format("{} must be an array of strings, not {}", name, TypeName(node))));
}

Result<std::vector<ActionKind>> ReadKinds(const toml::node& node, const ProfileSource& source) {
  auto items = ReadOneOrMany(node, "rule.on", "an action kind", source);
  if (!items) return tl::unexpected(items.error());
  std::vector<std::string_view> known;
  for (ActionKind kind : AllActionKinds()) known.push_back(ActionKindName(kind));
  known.push_back(kAllFileKinds);

  std::vector<ActionKind> kinds;
  auto add = [&kinds](ActionKind kind) {
    if (std::find(kinds.begin(), kinds.end(), kind) == kinds.end()) kinds.push_back(kind);
  };
  for (const toml::node* item : *items) {
    const std::string& name = item->as_string()->get();
    if (name == kAllFileKinds) {
      for (ActionKind kind : AllActionKinds()) {
        if (IsFileKind(kind)) add(kind);
      }
    } else if (auto kind = ParseActionKind(name)) {
      add(*kind);
    } else {
      std::string what = fmt::format("rule.on {} is not an action kind", QuoteForDisplay(name));
      if (auto near = NearestKey(name, known)) {
        what += fmt::format("; did you mean '{}'?", *near);
      } else {
        std::string list;
        for (std::string_view k : known) list += (list.empty() ? "'" : ", '") + std::string(k) + "'";
        what += " (known: " + list + ")";
      }
      return tl::unexpected(source.At(*item, what));
    }
  }
  return kinds;
}

// Each key of `match` must make sense for every kind the rule is on.
Result<void> CheckApplies(std::string_view key, const toml::node& value,
                          const std::vector<ActionKind>& kinds, const ProfileSource& source) {
  for (ActionKind kind : kinds) {
    if (MatchKeyApplies(key, kind)) continue;
    std::string applies;
    for (ActionKind other : AllActionKinds()) {
      if (MatchKeyApplies(key, other)) {
        applies += (applies.empty() ? "" : ", ") + std::string(ActionKindName(other));
      }
    }
    return tl::unexpected(source.At(
        value, fmt::format("rule.match.{} does not apply to {} (in rule.on); it applies to {}",
                           key, ActionKindName(kind), applies)));
  }
  return {};
}

Result<std::vector<RulePattern>> ReadArgvPatterns(const toml::node& node,
                                                  const ProfileSource& source) {
  auto items = ReadStrings(node, "rule.match.argv", source);
  if (!items) return tl::unexpected(items.error());
  std::vector<RulePattern> patterns;
  for (const toml::node* item : *items) {
    const std::string& text = item->as_string()->get();
    const std::string subject = "rule.match.argv entry " + QuoteForDisplay(text);
    if (std::any_of(text.begin(), text.end(),
                    [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7F; })) {
      return tl::unexpected(source.At(*item, subject + " contains a control character"));
    }
    if (auto compiled = ArgvElement::Compile(text, subject); !compiled) {
      return tl::unexpected(source.At(*item, compiled.error().message));
    }
    patterns.push_back({text, source.Location(*item)});
  }
  return patterns;
}

Result<std::vector<std::string>> ReadFlags(const toml::node& node, const ProfileSource& source) {
  auto items = ReadStrings(node, "rule.match.flags", source);
  if (!items) return tl::unexpected(items.error());
  std::vector<std::string> names;
  for (const toml::node* item : *items) names.push_back(item->as_string()->get());
  if (auto compiled = CompileOpenFlags(names); !compiled) {
    return tl::unexpected(
        source.At(*(*items)[compiled.error().index], "rule.match.flags: " + compiled.error().what));
  }
  return names;
}

Result<std::vector<RulePattern>> ReadHostPatterns(const toml::node& node,
                                                  const ProfileSource& source) {
  auto items = ReadOneOrMany(node, "rule.match.host", "a host pattern", source);
  if (!items) return tl::unexpected(items.error());
  std::vector<RulePattern> patterns;
  for (const toml::node* item : *items) {
    const std::string& text = item->as_string()->get();
    if (auto compiled = HostPattern::Compile(text); !compiled) {
      return tl::unexpected(source.At(
          *item, fmt::format("rule.match.host{} {} {}", node.is_array() ? " entry" : "",
                             QuoteForDisplay(text), compiled.error().message)));
    }
    patterns.push_back({text, source.Location(*item)});
  }
  return patterns;
}

// A port as an integer or a "first-last" string.
Result<PortRange> ReadPort(const toml::node& node, std::string_view name,
                           const ProfileSource& source) {
  if (const auto* number = node.as_integer()) {
    if (number->get() < 0 || number->get() > 65535) {
      return tl::unexpected(source.At(
          node, fmt::format("{} {} is not a port (0 to 65535)", name, number->get())));
    }
    const auto port = static_cast<uint16_t>(number->get());
    return PortRange{port, port};
  }
  if (const auto* text = node.as_string()) {
    auto range = ParsePortRange(text->get());
    if (!range) {
      return tl::unexpected(source.At(node, fmt::format("{} {} {}", name,
                                                        QuoteForDisplay(text->get()),
                                                        range.error().message)));
    }
    return *range;
  }
  return tl::unexpected(source.At(
      node, fmt::format("{} must be a port (443), a range (\"8000-8999\") or an array of them, "
                        "not {}",
                        name, TypeName(node))));
}

Result<std::vector<PortRange>> ReadPorts(const toml::node& node, const ProfileSource& source) {
  std::vector<PortRange> ports;
  const toml::array* array = node.as_array();
  if (!array) {
    auto port = ReadPort(node, "rule.match.port", source);
    if (!port) return tl::unexpected(port.error());
    ports.push_back(*port);
    return ports;
  }
  if (array->empty()) {
    return tl::unexpected(source.At(node, "rule.match.port is an empty array"));
  }
  for (const toml::node& item : *array) {
    auto port = ReadPort(item, "rule.match.port entry", source);
    if (!port) return tl::unexpected(port.error());
    ports.push_back(*port);
  }
  return ports;
}

Result<RuleMatch> ReadMatch(const toml::node& node, const std::vector<ActionKind>& kinds,
                            const ProfileSource& source) {
  auto table = ReadTable(node, "rule.match", source);
  if (!table) return tl::unexpected(table.error());
  if (auto keys = CheckKeys(**table, {"rule.match", kMatchKeys, {}}, source); !keys) {
    return tl::unexpected(keys.error());
  }
  RuleMatch match;
  for (std::string_view key : kMatchKeys) {
    const toml::node* value = (*table)->get(key);
    if (!value) continue;
    if (auto applies = CheckApplies(key, *value, kinds, source); !applies) {
      return tl::unexpected(applies.error());
    }
  }
  for (const auto& [key, member] : {std::pair{"path", &RuleMatch::path},
                                    std::pair{"from", &RuleMatch::from},
                                    std::pair{"to", &RuleMatch::to}}) {
    const toml::node* value = (*table)->get(key);
    if (!value) continue;
    auto patterns = ReadPathPatterns(*value, fmt::format("rule.match.{}", key), source);
    if (!patterns) return tl::unexpected(patterns.error());
    match.*member = std::move(*patterns);
  }
  if (const toml::node* value = (*table)->get("argv")) {
    auto patterns = ReadArgvPatterns(*value, source);
    if (!patterns) return tl::unexpected(patterns.error());
    match.argv = std::move(*patterns);
  }
  if (const toml::node* value = (*table)->get("flags")) {
    auto flags = ReadFlags(*value, source);
    if (!flags) return tl::unexpected(flags.error());
    match.flags = std::move(*flags);
  }
  if (const toml::node* value = (*table)->get("host")) {
    auto patterns = ReadHostPatterns(*value, source);
    if (!patterns) return tl::unexpected(patterns.error());
    match.host = std::move(*patterns);
  }
  if (const toml::node* value = (*table)->get("port")) {
    auto ports = ReadPorts(*value, source);
    if (!ports) return tl::unexpected(ports.error());
    match.port = std::move(*ports);
  }
  return match;
}

Result<RuleSpec> ReadRule(const toml::node& node, const ProfileSource& source) {
  auto table = ReadTable(node, "each [[rule]]", source);
  if (!table) return tl::unexpected(table.error());
  if (auto keys = CheckKeys(**table, {"rule", kRuleKeys, kPlannedRuleKeys, true}, source); !keys) {
    return tl::unexpected(keys.error());
  }
  auto required = [&](std::string_view key) -> Result<const toml::node*> {
    if (const toml::node* value = (*table)->get(key)) return value;
    return tl::unexpected(source.At(node, fmt::format("[[rule]] has no '{}'", key)));
  };

  RuleSpec rule;
  rule.where = source.Location(node);
  auto id_node = required("id");
  if (!id_node) return tl::unexpected(id_node.error());
  auto id = ReadText(**id_node, "rule.id", source);
  if (!id) return tl::unexpected(id.error());
  if (!IsValidId(*id)) {
    return tl::unexpected(source.At(
        **id_node, fmt::format("rule.id {} must be letters, digits, '-', '_' and '.', starting "
                               "with a letter or digit",
                               QuoteForDisplay(*id))));
  }
  rule.id = std::move(*id);

  auto on_node = required("on");
  if (!on_node) return tl::unexpected(on_node.error());
  auto kinds = ReadKinds(**on_node, source);
  if (!kinds) return tl::unexpected(kinds.error());
  rule.on = std::move(*kinds);

  if (const toml::node* value = (*table)->get("match")) {
    auto match = ReadMatch(*value, rule.on, source);
    if (!match) return tl::unexpected(match.error());
    rule.match = std::move(*match);
  }

  auto decision_node = required("decision");
  if (!decision_node) return tl::unexpected(decision_node.error());
  auto decision =
      ReadChoice(**decision_node, "rule.decision", kDecisions, kPlannedDecisions, source);
  if (!decision) return tl::unexpected(decision.error());
  rule.decision = *decision == "allow"  ? RuleDecision::kAllow
                  : *decision == "deny" ? RuleDecision::kDeny
                                        : RuleDecision::kForbid;

  if (const toml::node* value = (*table)->get("reason")) {
    auto reason = ReadText(*value, "rule.reason", source);
    if (!reason) return tl::unexpected(reason.error());
    rule.reason = std::move(*reason);
  }
  return rule;
}

const RuleSpec* FindRule(const std::vector<RuleSpec>& rules, std::string_view id) {
  const auto found =
      std::find_if(rules.begin(), rules.end(), [id](const RuleSpec& rule) { return rule.id == id; });
  return found == rules.end() ? nullptr : &*found;
}

Error DuplicateId(const RuleSpec& rule, const RuleSpec& first) {
  return ErrorAt(rule.where, fmt::format("rule id '{}' is already used by the rule at {}", rule.id,
                                         FormatLocation(first.where)));
}

toml::array RenderStrings(const std::vector<std::string>& items) {
  toml::array array;
  for (const std::string& item : items) array.push_back(item);
  return array;
}

toml::array RenderPatterns(const std::vector<RulePattern>& patterns) {
  toml::array array;
  for (const RulePattern& pattern : patterns) array.push_back(pattern.text);
  return array;
}

toml::array RenderPorts(const std::vector<PortRange>& ports) {
  toml::array array;
  for (const PortRange& range : ports) {
    if (range.first == range.last) {
      array.push_back(static_cast<int64_t>(range.first));
    } else {
      array.push_back(fmt::format("{}-{}", range.first, range.last));
    }
  }
  return array;
}

}  // namespace

Result<std::vector<RulePattern>> ReadPathPatterns(const toml::node& node, std::string_view name,
                                                  const ProfileSource& source) {
  auto items = ReadOneOrMany(node, name, "a path pattern", source);
  if (!items) return tl::unexpected(items.error());
  std::vector<RulePattern> patterns;
  for (const toml::node* item : *items) {
    const std::string& text = item->as_string()->get();
    const std::string subject = fmt::format("{}{} {}", name, node.is_array() ? " entry" : "",
                                            QuoteForDisplay(text));
    if (auto compiled = PathPattern::Compile(text, kPlaceholderVariables, subject); !compiled) {
      return tl::unexpected(source.At(*item, compiled.error().message));
    }
    patterns.push_back({text, source.Location(*item)});
  }
  return patterns;
}

Result<void> ParseRuleSection(const toml::node& node, const ProfileSource& source,
                              std::vector<RuleSpec>& layer) {
  const toml::array* array = node.as_array();
  if (!array) {
    return tl::unexpected(source.At(
        node, fmt::format("rule must be written as [[rule]] tables, not {}", TypeName(node))));
  }
  for (const toml::node& element : *array) {
    auto rule = ReadRule(element, source);
    if (!rule) return tl::unexpected(rule.error());
    if (const RuleSpec* first = FindRule(layer, rule->id)) {
      return tl::unexpected(DuplicateId(*rule, *first));
    }
    layer.push_back(std::move(*rule));
  }
  return {};
}

Result<void> MergeRules(const std::vector<RuleSpec>& layer, std::vector<RuleSpec>& rules) {
  for (const RuleSpec& rule : layer) {
    if (const RuleSpec* extended = FindRule(rules, rule.id)) {
      return tl::unexpected(DuplicateId(rule, *extended));
    }
  }
  rules.insert(rules.begin(), layer.begin(), layer.end());
  return {};
}

void RenderRules(const std::vector<RuleSpec>& rules, toml::table& root) {
  if (rules.empty()) return;
  toml::array rendered;
  for (const RuleSpec& rule : rules) {
    toml::table table;
    table.insert("id", rule.id);
    toml::array on;
    for (ActionKind kind : rule.on) on.push_back(ActionKindName(kind));
    table.insert("on", std::move(on));
    toml::table match;
    for (const auto& [key, member] : {std::pair{"path", &RuleMatch::path},
                                      std::pair{"from", &RuleMatch::from},
                                      std::pair{"to", &RuleMatch::to},
                                      std::pair{"argv", &RuleMatch::argv},
                                      std::pair{"host", &RuleMatch::host}}) {
      if (!(rule.match.*member).empty()) match.insert(key, RenderPatterns(rule.match.*member));
    }
    if (!rule.match.flags.empty()) match.insert("flags", RenderStrings(rule.match.flags));
    if (!rule.match.port.empty()) match.insert("port", RenderPorts(rule.match.port));
    if (!match.empty()) {
      match.is_inline(true);
      table.insert("match", std::move(match));
    }
    table.insert("decision", RuleDecisionName(rule.decision));
    if (!rule.reason.empty()) table.insert("reason", rule.reason);
    rendered.push_back(std::move(table));
  }
  root.insert("rule", std::move(rendered));
}

}  // namespace detail
}  // namespace aarm::policy
