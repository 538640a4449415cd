#include "path_variables.hpp"

#include <linux/limits.h>
#include <sys/stat.h>

#include <algorithm>

#include "aarm/base/paths.hpp"
#include "aarm/policy/display_text.hpp"
#include "aarm/policy/profile.hpp"
#include "key_suggestions.hpp"

namespace aarm::policy {
namespace detail {
namespace {

std::string KnownVariables() {
  std::string out;
  for (std::string_view v : kPathVariables) out += (out.empty() ? "" : " ") + std::string(v);
  return out;
}

// Splits off a leading "{name}"; `variable` is empty when the path has none.
struct SplitPath {
  std::string_view variable;
  std::string_view rest;
};

SplitPath SplitLeadingVariable(std::string_view path) {
  if (path.empty() || path.front() != '{') return {{}, path};
  const size_t close = path.find('}');
  if (close == std::string_view::npos) return {{}, path};
  return {path.substr(0, close + 1), path.substr(close + 1)};
}

// A variable's value inside a pattern stands for itself: each glob character becomes a class
// holding just it.
std::string EscapeGlob(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '*' || c == '?' || c == '[') {
      out += '[';
      out += c;
      out += ']';
    } else {
      out += c;
    }
  }
  return out;
}

// Which of the two path syntaxes a check is for.
enum class PathKind { kPlain, kPattern };

bool IsGlobSegment(std::string_view segment) {
  return segment.find_first_of("*?[") != std::string_view::npos;
}

// Whether `path` starts with the segment "**".
bool StartsWithAnyDirectory(std::string_view path) {
  return path.starts_with("**") && (path.size() == 2 || path[2] == '/');
}

// A ".." lexical normalisation would apply to a segment that is a pattern, not a name.
bool HasParentAfterGlob(std::string_view rest) {
  bool glob_seen = false;
  size_t start = 0;
  while (start <= rest.size()) {
    const size_t slash = std::min(rest.find('/', start), rest.size());
    const std::string_view segment = rest.substr(start, slash - start);
    if (segment == ".." && glob_seen) return true;
    glob_seen = glob_seen || IsGlobSegment(segment);
    start = slash + 1;
  }
  return false;
}

std::optional<std::string> SyntaxProblem(std::string_view path, PathKind kind) {
  if (path.empty()) return "is empty";
  if (path.size() >= PATH_MAX) {
    return "is " + std::to_string(path.size()) + " bytes long; the limit is " +
           std::to_string(PATH_MAX - 1);
  }
  if (path.find('\0') != std::string_view::npos) return "contains a NUL byte";
  if (std::any_of(path.begin(), path.end(),
                  [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7F; })) {
    return "contains a control character";
  }
  if (path.front() == '~') {
    if (path.size() == 1 || path[1] == '/') {
      return "starts with '~', which is not expanded; write " +
             QuoteForDisplay("{home}" + std::string(path.substr(1)));
    }
    return "starts with '~', which is not expanded; write the absolute path";
  }
  const SplitPath split = SplitLeadingVariable(path);
  if (path.front() == '{') {
    if (split.variable.empty()) return "has a '{' that is never closed";
    if (std::find(kPathVariables.begin(), kPathVariables.end(), split.variable) ==
        kPathVariables.end()) {
      std::string problem = "uses the unknown variable " + QuoteForDisplay(split.variable);
      // Compared without the braces, which every variable shares.
      std::array<std::string_view, kPathVariables.size()> names;
      std::transform(kPathVariables.begin(), kPathVariables.end(), names.begin(),
                     [](std::string_view v) { return v.substr(1, v.size() - 2); });
      const std::string_view name = split.variable.substr(1, split.variable.size() - 2);
      if (auto near = NearestKey(name, names)) {
        return problem + "; did you mean '{" + std::string(*near) + "}'?";
      }
      return problem + " (known: " + KnownVariables() + ")";
    }
    if (!split.rest.empty() && split.rest.front() != '/') {
      return "continues '" + std::string(split.variable) + "' without a '/'";
    }
  } else if (kind == PathKind::kPlain && path.front() != '/') {
    return "is relative; a path must be absolute or start with one of " + KnownVariables();
  } else if (kind == PathKind::kPattern && path.front() != '/' &&
             !StartsWithAnyDirectory(path)) {
    std::string problem = "is relative; a pattern must be absolute, start with one of " +
                          KnownVariables() + ", or start with '**/'";
    if (path.front() == '*' || path.front() == '?' || path.front() == '[') {
      problem += " (" + QuoteForDisplay("**/" + std::string(path)) + " matches at any depth)";
    }
    return problem;
  }
  if (split.rest.find_first_of("{}") != std::string_view::npos) {
    return "has '{' or '}' after its start; a variable may only begin a path";
  }
  if (kind == PathKind::kPlain && IsGlobSegment(split.rest)) {
    return "contains a glob character; filesystem paths are plain paths, not patterns";
  }
  if (kind == PathKind::kPattern && HasParentAfterGlob(split.rest)) {
    return "has '..' after a segment with glob characters; '..' may only follow plain names";
  }
  return std::nullopt;
}

// Checks `path`, expands its leading variable (taken literally in a pattern) and normalises it.
Result<std::string> Expand(std::string_view path, const PathVariables& vars, PathKind kind,
                           const std::string& subject) {
  if (auto problem = SyntaxProblem(path, kind)) return Fail(subject + " " + *problem);
  const SplitPath split = SplitLeadingVariable(path);
  std::string base;
  if (!split.variable.empty()) {
    if (split.variable == "{project}") base = vars.project;
    if (split.variable == "{home}") base = vars.home;
    if (split.variable == "{cwd}") base = vars.cwd;
    if (split.variable == "{tmp}") base = vars.tmp;
    if (base.empty() || base.front() != '/') {
      return Fail(subject + ": " + std::string(split.variable) + " has no absolute value (" +
                  QuoteForDisplay(base) + ")");
    }
    if (kind == PathKind::kPattern) base = EscapeGlob(base);
  }
  std::string expanded = NormalizePath(base + std::string(split.rest));
  if (expanded.size() >= PATH_MAX) {
    return Fail(subject + " expands to " + std::to_string(expanded.size()) +
                " bytes; the limit is " + std::to_string(PATH_MAX - 1));
  }
  return expanded;
}

}  // namespace

std::optional<std::string> PathSyntaxProblem(std::string_view path) {
  return SyntaxProblem(path, PathKind::kPlain);
}

Result<std::string> ExpandPattern(std::string_view pattern, const PathVariables& vars,
                                  std::string_view subject) {
  return Expand(pattern, vars, PathKind::kPattern, std::string(subject));
}

}  // namespace detail

Result<std::string> ExpandPath(std::string_view path, const PathVariables& vars) {
  return detail::Expand(path, vars, detail::PathKind::kPlain, "path " + QuoteForDisplay(path));
}

std::string FindProjectDirectory(const std::string& cwd) {
  const std::string start = NormalizePath(cwd);
  std::string dir = start;
  for (;;) {
    struct stat st;
    if (::lstat((dir == "/" ? std::string("/.git") : dir + "/.git").c_str(), &st) == 0) return dir;
    if (dir == "/") return start;
    dir = dir.substr(0, std::max<size_t>(dir.rfind('/'), 1));
  }
}

}  // namespace aarm::policy
