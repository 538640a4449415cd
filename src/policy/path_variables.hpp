// The syntax of a path written in a profile: absolute, or starting with a path variable.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace aarm::policy::detail {

inline constexpr std::array<std::string_view, 4> kPathVariables = {"{project}", "{home}", "{cwd}",
                                                                   "{tmp}"};

// Why `path` cannot name a file in a profile, as the end of a sentence that begins with the path
// ("starts with '~'; write '{home}/.ssh'"), or nullopt when it can. A valid path is absolute or
// begins with one of kPathVariables followed by '/' or nothing; it is not empty, shorter than
// PATH_MAX, free of control characters, and holds no braces or glob characters after that.
std::optional<std::string> PathSyntaxProblem(std::string_view path);

}  // namespace aarm::policy::detail
