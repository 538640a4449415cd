// The [[label]]s of a profile compiled for Engine::LabelOf, which the supervisor asks for every
// file it opens: the patterns of the variables expanded once, and most of them passed over at
// the cost of comparing one path segment.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "aarm/base/error.hpp"
#include "aarm/policy/profile.hpp"
#include "compiled_rule.hpp"

namespace aarm::policy::detail {

class LabelIndex {
 public:
  // Errors name the pattern's FILE:LINE:COL (a variable without a value).
  static Result<LabelIndex> Compile(const std::vector<LabelSpec>& labels,
                                    std::string_view unclassified, const PathVariables& vars);

  // See Engine::LabelOf; `path` is normalised.
  std::string_view LabelOf(std::string_view path) const;

 private:
  struct Pattern {
    // The pattern's first segment when it is literal: only paths whose first segment is the
    // same can match. Empty when any path may (a glob there, `**/x`, a negation).
    std::string first_segment;
    PathPattern pattern;
  };
  struct Label {
    std::string name;
    std::vector<Pattern> patterns;
  };

  static bool AnyMatches(const std::vector<Pattern>& patterns, std::string_view path,
                         std::string_view first_segment);

  std::vector<Label> labels_;  // every label but `public`, in the profile's order
  std::vector<Pattern> public_;
  std::string unclassified_;
};

}  // namespace aarm::policy::detail
