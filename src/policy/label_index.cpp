#include "label_index.hpp"

#include <fmt/format.h>

#include "aarm/policy/display_text.hpp"
#include "path_variables.hpp"
#include "profile_source.hpp"

namespace aarm::policy::detail {
namespace {

// The first segment of an absolute path ("usr" for "/usr/lib", "" for "/"); empty for anything
// else.
std::string_view FirstSegment(std::string_view path) {
  if (path.empty() || path.front() != '/') return {};
  const std::string_view rest = path.substr(1);
  return rest.substr(0, rest.find('/'));
}

// The literal first segment `text`, a label path as written, requires of a path; empty when
// it requires none.
Result<std::string> RequiredFirstSegment(std::string_view text, const PathVariables& vars,
                                         std::string_view subject) {
  if (text.starts_with('!')) return std::string();
  auto expanded = ExpandPattern(text, vars, subject);
  if (!expanded) return tl::unexpected(expanded.error());
  const std::string_view first = FirstSegment(*expanded);
  if (first.find_first_of("*?[") != std::string_view::npos) return std::string();
  return std::string(first);
}

}  // namespace

Result<LabelIndex> LabelIndex::Compile(const std::vector<LabelSpec>& labels,
                                       std::string_view unclassified,
                                       const PathVariables& vars) {
  LabelIndex index;
  index.unclassified_ = std::string(unclassified);
  for (const LabelSpec& label : labels) {
    std::vector<Pattern> patterns;
    for (const RulePattern& text : label.paths) {
      const std::string subject = fmt::format("label.paths entry {}", QuoteForDisplay(text.text));
      auto pattern = PathPattern::Compile(text.text, vars, subject);
      if (!pattern) return tl::unexpected(ErrorAt(text.where, pattern.error().message));
      auto first = RequiredFirstSegment(text.text, vars, subject);
      if (!first) return tl::unexpected(ErrorAt(text.where, first.error().message));
      patterns.push_back({std::move(*first), std::move(*pattern)});
    }
    if (label.name == kPublicLabel) {
      index.public_ = std::move(patterns);
    } else {
      index.labels_.push_back({label.name, std::move(patterns)});
    }
  }
  return index;
}

bool LabelIndex::AnyMatches(const std::vector<Pattern>& patterns, std::string_view path,
                            std::string_view first_segment) {
  for (const Pattern& pattern : patterns) {
    if (!pattern.first_segment.empty() && pattern.first_segment != first_segment) continue;
    if (pattern.pattern.Matches(path)) return true;
  }
  return false;
}

std::string_view LabelIndex::LabelOf(std::string_view path) const {
  const std::string_view first = FirstSegment(path);
  for (const Label& label : labels_) {
    if (AnyMatches(label.patterns, path, first)) return label.name;
  }
  if (AnyMatches(public_, path, first)) return kPublicLabel;
  return unclassified_;
}

}  // namespace aarm::policy::detail
