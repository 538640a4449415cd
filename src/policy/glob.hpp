// Globs for rules, compiled once and matched without allocating.
//
// Within one unit (a path segment, or a whole argv element): `*` is any run of characters, `?`
// one character, `[abc]` `[a-z]` one character of a class and `[!abc]` `[^abc]` one outside it
// (a ']' first in a class is a member). Characters are UTF-8 code points; a byte that is not
// UTF-8 is a character of its own. There is no backslash escape: `[*]` is a literal '*'.
//
// Matching is greedy with one backtracking point per kind of star, so it takes at most time
// proportional to the pattern's length times the text's, whatever the pattern.
#pragma once

#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "aarm/base/error.hpp"

namespace aarm::policy::detail {

// The compiled form of units: tokens, and the classes they refer to.
class GlobUnits {
 public:
  enum class TokenKind : uint8_t { kLiteral, kAnyChar, kClass, kStar };
  struct Token {
    TokenKind kind;
    uint32_t value;  // the code point of a literal, the index of a class
  };
  // A unit is a run of tokens.
  struct Unit {
    uint32_t first = 0;
    uint32_t count = 0;
  };

  // Compiles `text` as one unit. Errors are phrases about the pattern ("has a '[' that is never
  // closed").
  Result<Unit> Add(std::string_view text);

  bool Matches(const Unit& unit, std::string_view text) const;

 private:
  struct CharClass {
    bool negated = false;
    std::vector<std::pair<uint32_t, uint32_t>> ranges;  // inclusive
    bool Contains(uint32_t cp) const;
  };

  bool TokenMatches(const Token& token, uint32_t cp) const;

  std::vector<Token> tokens_;
  std::vector<CharClass> classes_;
};

// A path pattern, expanded and normalised ("/home/u/.ssh/**"). Segments are matched one by one;
// a segment `**` matches any number of segments, none included, so `dir/**` matches `dir` and
// everything below it and `/**/x` matches `x` in any directory.
class PathGlob {
 public:
  // `pattern` is absolute. Errors are phrases about the pattern.
  static Result<PathGlob> Compile(std::string_view pattern);
  // Segments separated by `separator`, with none before the first: the labels of a host name
  // ("*.example.com" with '.').
  static Result<PathGlob> CompileSegments(std::string_view pattern, char separator);

  // `path` is absolute and normalised; anything else matches nothing.
  bool Matches(std::string_view path) const;
  // `text` in the form CompileSegments takes, its segments not empty.
  bool MatchesSegments(std::string_view text) const;

 private:
  struct Segment {
    bool any_depth = false;  // `**`
    GlobUnits::Unit unit;
  };
  // Whether the segments after the last `**`, which match the last segments of the text one for
  // one, do so; `at` is where the `**` stands in the text.
  bool TailMatches(std::string_view rest, size_t at) const;

  std::vector<Segment> segments_;
  size_t last_any_depth_ = 0;  // index of the last `**` segment; segments_.size() when none
  GlobUnits units_;
  char separator_ = '/';
};

// A glob on a whole string (an argv element): '/' is an ordinary character.
class TextGlob {
 public:
  static Result<TextGlob> Compile(std::string_view pattern);
  bool Matches(std::string_view text) const { return units_.Matches(unit_, text); }

 private:
  GlobUnits::Unit unit_;
  GlobUnits units_;
};

}  // namespace aarm::policy::detail
