// [[label]]: classes of data, each named by the paths that hold it.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>

#include "aarm/policy/display_text.hpp"
#include "key_suggestions.hpp"
#include "profile_layer.hpp"

namespace aarm::policy::detail {
namespace {

constexpr std::array<std::string_view, 2> kLabelKeys = {"name", "paths"};
// Known whether or not a profile declares them: `public` is what reads are only counted of,
// `secret` what unclassified data is by default.
constexpr std::array<std::string_view, 2> kBuiltinLabels = {kPublicLabel, kSecretLabel};

LabelSpec* FindLabel(std::vector<LabelSpec>& labels, std::string_view name) {
  const auto found = std::find_if(labels.begin(), labels.end(),
                                  [name](const LabelSpec& label) { return label.name == name; });
  return found == labels.end() ? nullptr : &*found;
}

void AppendNew(const std::vector<RulePattern>& patterns, std::vector<RulePattern>& list) {
  for (const RulePattern& pattern : patterns) {
    const bool present = std::any_of(list.begin(), list.end(), [&](const RulePattern& known) {
      return known.text == pattern.text;
    });
    if (!present) list.push_back(pattern);
  }
}

Result<LabelSpec> ReadLabel(const toml::node& node, const ProfileSource& source) {
  auto table = ReadTable(node, "each [[label]]", source);
  if (!table) return tl::unexpected(table.error());
  if (auto keys = CheckKeys(**table, {"label", kLabelKeys, {}, true}, source); !keys) {
    return tl::unexpected(keys.error());
  }
  LabelSpec label;
  label.where = source.Location(node);
  const toml::node* name_node = (*table)->get("name");
  if (!name_node) return tl::unexpected(source.At(node, "[[label]] has no 'name'"));
  auto name = ReadText(*name_node, "label.name", source);
  if (!name) return tl::unexpected(name.error());
  if (!IsValidLabelName(*name)) {
    return tl::unexpected(source.At(
        *name_node, fmt::format("label.name {} must be letters, digits, '-' and '_', starting "
                                "with a letter, at most {} bytes",
                                QuoteForDisplay(*name), kMaxLabelName)));
  }
  label.name = std::move(*name);
  if (const toml::node* paths = (*table)->get("paths")) {
    auto patterns = ReadPathPatterns(*paths, "label.paths", source);
    if (!patterns) return tl::unexpected(patterns.error());
    label.paths = std::move(*patterns);
  }
  return label;
}

}  // namespace

bool IsValidLabelName(std::string_view name) {
  auto letter = [](char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; };
  auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
  return !name.empty() && name.size() <= kMaxLabelName && letter(name.front()) &&
         std::all_of(name.begin(), name.end(),
                     [&](char c) { return word(c) || c == '-' || c == '_'; });
}

Result<void> ParseLabelSection(const toml::node& node, const ProfileSource& source,
                               std::vector<LabelSpec>& layer) {
  const toml::array* array = node.as_array();
  if (!array) {
    return tl::unexpected(source.At(
        node, fmt::format("label must be written as [[label]] tables, not {}", TypeName(node))));
  }
  for (const toml::node& element : *array) {
    auto label = ReadLabel(element, source);
    if (!label) return tl::unexpected(label.error());
    if (LabelSpec* first = FindLabel(layer, label->name)) {
      AppendNew(label->paths, first->paths);
    } else {
      layer.push_back(std::move(*label));
    }
  }
  return {};
}

void MergeLabels(const std::vector<LabelSpec>& layer, std::vector<LabelSpec>& labels) {
  std::vector<LabelSpec> merged;
  merged.reserve(layer.size() + labels.size());
  for (const LabelSpec& own : layer) {
    LabelSpec label = own;
    if (LabelSpec* extended = FindLabel(labels, own.name)) {
      label.paths = extended->paths;
      AppendNew(own.paths, label.paths);
    }
    merged.push_back(std::move(label));
  }
  for (LabelSpec& extended : labels) {
    if (!FindLabel(merged, extended.name)) merged.push_back(std::move(extended));
  }
  labels = std::move(merged);
}

void RenderLabels(const std::vector<LabelSpec>& labels, toml::table& root) {
  if (labels.empty()) return;
  toml::array rendered;
  for (const LabelSpec& label : labels) {
    toml::table table;
    table.insert("name", label.name);
    if (!label.paths.empty()) {
      toml::array paths;
      for (const RulePattern& pattern : label.paths) paths.push_back(pattern.text);
      table.insert("paths", std::move(paths));
    }
    rendered.push_back(std::move(table));
  }
  root.insert("label", std::move(rendered));
}

Result<void> CheckUnclassified(const SessionLayer& layer, const std::vector<LabelSpec>& labels) {
  if (!layer.unclassified) return {};
  const std::string& name = *layer.unclassified;
  std::vector<std::string_view> known(kBuiltinLabels.begin(), kBuiltinLabels.end());
  for (const LabelSpec& label : labels) {
    if (std::find(known.begin(), known.end(), label.name) == known.end()) {
      known.push_back(label.name);
    }
  }
  if (std::find(known.begin(), known.end(), name) != known.end()) return {};
  std::string what = fmt::format("session.unclassified {} is not a label", QuoteForDisplay(name));
  if (auto near = NearestKey(name, known)) {
    what += fmt::format("; did you mean '{}'?", *near);
  } else {
    std::string list;
    for (std::string_view label : known) {
      list += fmt::format("{}'{}'", list.empty() ? "" : ", ", label);
    }
    what += " (labels: " + list + ")";
  }
  return tl::unexpected(ErrorAt(layer.unclassified_where, what));
}

}  // namespace aarm::policy::detail
