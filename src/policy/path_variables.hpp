// The syntax of a path written in a profile: absolute, or starting with a path variable.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

#include "aarm/base/error.hpp"
#include "aarm/policy/profile.hpp"

namespace aarm::policy::detail {

inline constexpr std::array<std::string_view, 4> kPathVariables = {"{project}", "{home}", "{cwd}",
                                                                   "{tmp}"};

// Why `path` cannot name a file in a profile, as the end of a sentence that begins with the path
// ("starts with '~'; write '{home}/.ssh'"), or nullopt when it can. A valid path is absolute or
// begins with one of kPathVariables followed by '/' or nothing; it is not empty, shorter than
// PATH_MAX, free of control characters, and holds no braces or glob characters after that.
std::optional<std::string> PathSyntaxProblem(std::string_view path);

// ExpandPath for a rule's path pattern, its leading '!' taken off. The pattern is checked as
// PathSyntaxProblem checks paths, except that glob characters are allowed, it may also start with
// "**" (any directory), and ".." may not follow a segment with glob characters (it could not be
// resolved lexically); the glob syntax itself is checked when the result is compiled. The
// variable's value is taken literally (its '*', '?' and '[' written as "[*]", "[?]", "[[]"), and
// the result is normalised lexically ("**/x" becomes "/**/x"). Errors begin with `subject`
// ("rule.match.path entry '{tmp}/x'").
Result<std::string> ExpandPattern(std::string_view pattern, const PathVariables& vars,
                                  std::string_view subject);

}  // namespace aarm::policy::detail
