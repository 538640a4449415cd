// "did you mean ...?" for misspelt keys and values.
#pragma once

#include <optional>
#include <span>
#include <string_view>

namespace aarm::policy::detail {

// The candidate nearest to `word`, ignoring case, when it is near enough to be a likely
// misspelling: at most one edit per three characters of the candidate (at least one, at most
// three), an adjacent transposition counting as one edit. Ties go to the earlier candidate.
std::optional<std::string_view> NearestKey(std::string_view word,
                                           std::span<const std::string_view> candidates);

}  // namespace aarm::policy::detail
