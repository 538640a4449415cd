#include "glob.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <string>

#include "aarm/policy/display_text.hpp"
#include "utf8.hpp"

namespace aarm::policy::detail {
namespace {

constexpr size_t kNone = std::numeric_limits<size_t>::max();

// Bytes that are not UTF-8 become characters of their own, in the surrogate range no valid
// UTF-8 decodes to: they match `?` and `*`, and equal only the same byte in a pattern.
constexpr uint32_t kInvalidByteBase = 0xDC00;

struct Char {
  uint32_t cp;
  size_t length;
};

Char CharAt(std::string_view text, size_t at) {
  uint32_t cp = 0;
  const size_t length = DecodeUtf8(text.substr(at), cp);
  if (length == 0) return {kInvalidByteBase + static_cast<uint8_t>(text[at]), 1};
  return {cp, length};
}

std::string Shown(std::string_view text) { return QuoteForDisplay(text); }

}  // namespace

bool GlobUnits::CharClass::Contains(uint32_t cp) const {
  const bool member = std::any_of(ranges.begin(), ranges.end(), [cp](const auto& range) {
    return cp >= range.first && cp <= range.second;
  });
  return member != negated;
}

bool GlobUnits::TokenMatches(const Token& token, uint32_t cp) const {
  switch (token.kind) {
    case TokenKind::kLiteral: return token.value == cp;
    case TokenKind::kAnyChar: return true;
    case TokenKind::kClass: return classes_[token.value].Contains(cp);
    case TokenKind::kStar: break;
  }
  return false;
}

Result<GlobUnits::Unit> GlobUnits::Add(std::string_view text) {
  Unit unit{static_cast<uint32_t>(tokens_.size()), 0};
  size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c == '*') {
      // A run of stars is one star: matching then stays linear in the text per backtrack.
      if (tokens_.size() == unit.first || tokens_.back().kind != TokenKind::kStar) {
        tokens_.push_back({TokenKind::kStar, 0});
      }
      ++i;
    } else if (c == '?') {
      tokens_.push_back({TokenKind::kAnyChar, 0});
      ++i;
    } else if (c == '[') {
      CharClass cls;
      size_t j = i + 1;
      if (j < text.size() && (text[j] == '!' || text[j] == '^')) {
        cls.negated = true;
        ++j;
      }
      bool closed = false;
      bool first = true;
      while (j < text.size()) {
        if (text[j] == ']' && !first) {
          closed = true;
          ++j;
          break;
        }
        first = false;
        const Char low = CharAt(text, j);
        j += low.length;
        if (j + 1 < text.size() && text[j] == '-' && text[j + 1] != ']') {
          const Char high = CharAt(text, j + 1);
          if (high.cp < low.cp) {
            return Fail(fmt::format("has the reversed range {} in a class",
                                    Shown(text.substr(j - low.length, low.length + 1 + high.length))));
          }
          cls.ranges.emplace_back(low.cp, high.cp);
          j += 1 + high.length;
        } else {
          cls.ranges.emplace_back(low.cp, low.cp);
        }
      }
      if (!closed) return Fail("has a '[' that is never closed");
      tokens_.push_back({TokenKind::kClass, static_cast<uint32_t>(classes_.size())});
      classes_.push_back(std::move(cls));
      i = j;
    } else {
      const Char literal = CharAt(text, i);
      tokens_.push_back({TokenKind::kLiteral, literal.cp});
      i += literal.length;
    }
  }
  unit.count = static_cast<uint32_t>(tokens_.size()) - unit.first;
  return unit;
}

bool GlobUnits::Matches(const Unit& unit, std::string_view text) const {
  const Token* tokens = tokens_.data() + unit.first;
  const size_t count = unit.count;
  size_t p = 0;
  size_t t = 0;
  size_t star_p = kNone;  // the last star seen, and where its match ends so far
  size_t star_t = 0;
  while (t < text.size()) {
    if (p < count && tokens[p].kind == TokenKind::kStar) {
      star_p = p++;
      star_t = t;
      continue;
    }
    if (p < count) {
      const Char c = CharAt(text, t);
      if (TokenMatches(tokens[p], c.cp)) {
        ++p;
        t += c.length;
        continue;
      }
    }
    if (star_p == kNone) return false;
    // The last star takes one more character and the rest of the pattern starts over after it;
    // an earlier star never needs to take more (each token after it matches one character).
    p = star_p + 1;
    star_t += CharAt(text, star_t).length;
    t = star_t;
  }
  while (p < count && tokens[p].kind == TokenKind::kStar) ++p;
  return p == count;
}

Result<PathGlob> PathGlob::Compile(std::string_view pattern) {
  if (pattern.empty() || pattern.front() != '/') return Fail("is not an absolute path");
  return CompileSegments(pattern.substr(1), '/');
}

Result<PathGlob> PathGlob::CompileSegments(std::string_view rest, char separator) {
  PathGlob glob;
  glob.separator_ = separator;
  size_t start = 0;
  while (!rest.empty() && start <= rest.size()) {
    const size_t end = std::min(rest.find(separator, start), rest.size());
    const std::string_view segment = rest.substr(start, end - start);
    start = end + 1;
    if (segment == "**") {
      // Consecutive `**` segments mean no more than one.
      if (glob.segments_.empty() || !glob.segments_.back().any_depth) {
        glob.segments_.push_back({true, {}});
      }
      continue;
    }
    if (segment.find("**") != std::string_view::npos) {
      return Fail(fmt::format("has '**' inside the segment {}; '**' stands alone between "
                              "slashes ('dir/**/name'), '*' matches within a segment",
                              Shown(segment)));
    }
    auto unit = glob.units_.Add(segment);
    if (!unit) return tl::unexpected(unit.error());
    glob.segments_.push_back({false, *unit});
  }
  glob.last_any_depth_ = glob.segments_.size();
  for (size_t i = 0; i < glob.segments_.size(); ++i) {
    if (glob.segments_[i].any_depth) glob.last_any_depth_ = i;
  }
  return glob;
}

bool PathGlob::Matches(std::string_view path) const {
  if (path.empty() || path.front() != '/') return false;
  return MatchesSegments(path.substr(1));
}

bool PathGlob::MatchesSegments(std::string_view rest) const {
  // Segments of `rest` are visited by the offset where each starts; kNone is past the last.
  auto next = [this, rest](size_t at) {
    const size_t end = rest.find(separator_, at);
    return end == std::string_view::npos ? kNone : end + 1;
  };
  auto segment = [this, rest](size_t at) {
    const size_t end = std::min(rest.find(separator_, at), rest.size());
    return rest.substr(at, end - at);
  };
  const size_t count = segments_.size();
  size_t p = 0;
  size_t t = rest.empty() ? kNone : 0;
  size_t star_p = kNone;
  size_t star_t = 0;
  // The same greedy walk as within a unit, with segments for characters and `**` for the star.
  while (t != kNone) {
    if (p < count && segments_[p].any_depth) {
      // Past the last `**` each segment matches one of the text: they can only be its last
      // ones, so there is nothing to try at other places (`**/.env` looks at the name alone).
      if (p == last_any_depth_) return TailMatches(rest, t);
      star_p = p++;
      star_t = t;
      continue;
    }
    if (p < count && units_.Matches(segments_[p].unit, segment(t))) {
      ++p;
      t = next(t);
      continue;
    }
    if (star_p == kNone) return false;
    p = star_p + 1;
    star_t = next(star_t);
    t = star_t;
  }
  while (p < count && segments_[p].any_depth) ++p;
  return p == count;
}

bool PathGlob::TailMatches(std::string_view rest, size_t at) const {
  const size_t tail = segments_.size() - last_any_depth_ - 1;
  // Where the last `tail` segments of the text start: one past the tail-th separator from its
  // end, or its start.
  size_t start = rest.size() + 1;
  for (size_t k = 0; k < tail; ++k) {
    if (start == 0) return false;  // fewer segments than the tail
    const size_t separator =
        start >= 2 ? rest.rfind(separator_, start - 2) : std::string_view::npos;
    start = separator == std::string_view::npos ? 0 : separator + 1;
  }
  if (start < at) return false;  // the tail would overlap what came before the `**`
  for (size_t p = last_any_depth_ + 1; p < segments_.size(); ++p) {
    const size_t end = std::min(rest.find(separator_, start), rest.size());
    if (!units_.Matches(segments_[p].unit, rest.substr(start, end - start))) return false;
    start = end + 1;
  }
  return true;
}

Result<TextGlob> TextGlob::Compile(std::string_view pattern) {
  TextGlob glob;
  auto unit = glob.units_.Add(pattern);
  if (!unit) return tl::unexpected(unit.error());
  glob.unit_ = *unit;
  return glob;
}

}  // namespace aarm::policy::detail
