#include "canonical_reader.hpp"

#include <cstdint>

#include "aarm/receipts/canonical.hpp"
#include "utf8.hpp"

namespace aarm::receipts::detail {
namespace {

// A lowercase hex digit's value, or -1: the canonical form writes no uppercase hex.
int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

char KindOf(char first) {
  switch (first) {
    case '{': return '{';
    case '[': return '[';
    case '"': return '"';
    case 't':
    case 'f': return 'b';
    case 'n': return 'n';
    default: return '0';
  }
}

}  // namespace

bool CanonicalReader::Read(std::string_view line, std::vector<LineMember>& members) {
  text_ = line;
  at_ = 0;
  members.clear();
  return Object(1, &members) && at_ == text_.size();
}

bool CanonicalReader::PlainString(const LineMember& member, std::string_view& text) {
  if (member.kind != '"' || member.value.find('\\') != std::string_view::npos) return false;
  text = member.value.substr(1, member.value.size() - 2);
  return true;
}

bool CanonicalReader::Value(int depth) {
  // As the writer counts: the outermost value is at depth 1, and no value may be deeper.
  if (depth > kMaxNestingDepth || at_ >= text_.size()) return false;
  switch (text_[at_]) {
    case '{': return Object(depth, nullptr);
    case '[': return Array(depth);
    case '"': return String(nullptr);
    case 't': return Literal("true");
    case 'f': return Literal("false");
    case 'n': return Literal("null");
    default: return Integer();
  }
}

bool CanonicalReader::Object(int depth, std::vector<LineMember>* members) {
  if (depth > kMaxNestingDepth || at_ >= text_.size() || text_[at_] != '{') return false;
  ++at_;
  if (at_ < text_.size() && text_[at_] == '}') {
    ++at_;
    return true;
  }
  // Two buffers per level, the previous key and this one, kept from line to line.
  const size_t previous = 2 * static_cast<size_t>(depth - 1);
  if (keys_.size() < previous + 2) keys_.resize(previous + 2);
  bool first = true;
  for (;;) {
    size_t begin = at_;
    keys_[previous + 1].clear();
    if (!String(&keys_[previous + 1])) return false;
    // Sorted by their bytes and unique: a repeated key would have been merged by a parser.
    if (!first && !(keys_[previous] < keys_[previous + 1])) return false;
    first = false;
    keys_[previous].swap(keys_[previous + 1]);
    std::string_view key = text_.substr(begin + 1, at_ - begin - 2);
    if (at_ >= text_.size() || text_[at_] != ':') return false;
    ++at_;
    size_t value_at = at_;
    if (!Value(depth + 1)) return false;
    if (members != nullptr) {
      if (key.find('\\') != std::string_view::npos) return false;
      members->push_back(LineMember{key, text_.substr(value_at, at_ - value_at),
                                    KindOf(text_[value_at]), begin, at_});
    }
    if (at_ >= text_.size()) return false;
    char next = text_[at_++];
    if (next == '}') return true;
    if (next != ',') return false;
  }
}

bool CanonicalReader::Array(int depth) {
  ++at_;  // '['
  if (at_ < text_.size() && text_[at_] == ']') {
    ++at_;
    return true;
  }
  for (;;) {
    if (!Value(depth + 1) || at_ >= text_.size()) return false;
    char next = text_[at_++];
    if (next == ']') return true;
    if (next != ',') return false;
  }
}

bool CanonicalReader::String(std::string* decoded) {
  if (at_ >= text_.size() || text_[at_] != '"') return false;
  ++at_;
  auto unit_at = [&](size_t at, uint32_t& unit) {
    if (at + 4 > text_.size()) return false;
    unit = 0;
    for (size_t i = at; i < at + 4; ++i) {
      int digit = HexValue(text_[i]);
      if (digit < 0) return false;
      unit = unit << 4 | static_cast<uint32_t>(digit);
    }
    return true;
  };
  while (at_ < text_.size()) {
    auto c = static_cast<unsigned char>(text_[at_]);
    if (c == '"') {
      ++at_;
      return true;
    }
    if (c < 0x20 || c > 0x7e) return false;  // written escaped, always
    if (c != '\\') {
      if (decoded != nullptr) decoded->push_back(static_cast<char>(c));
      ++at_;
      continue;
    }
    if (at_ + 1 >= text_.size()) return false;
    char escape = text_[at_ + 1];
    char shorthand = 0;
    switch (escape) {
      case '"': shorthand = '"'; break;
      case '\\': shorthand = '\\'; break;
      case 'b': shorthand = '\b'; break;
      case 'f': shorthand = '\f'; break;
      case 'n': shorthand = '\n'; break;
      case 'r': shorthand = '\r'; break;
      case 't': shorthand = '\t'; break;
      case 'u': break;
      default: return false;  // "\/" among them: the writer leaves '/' as it is
    }
    if (shorthand != 0) {
      if (decoded != nullptr) decoded->push_back(shorthand);
      at_ += 2;
      continue;
    }
    uint32_t unit = 0;
    if (!unit_at(at_ + 2, unit)) return false;
    at_ += 6;
    uint32_t code_point = unit;
    if (unit < 0x20) {
      // These five have a short escape, which the writer uses.
      if (unit == '\b' || unit == '\t' || unit == '\n' || unit == '\f' || unit == '\r') {
        return false;
      }
    } else if (unit < 0x7f) {
      return false;  // printable ASCII is written as it is
    } else if (unit >= 0xd800 && unit <= 0xdbff) {
      uint32_t low = 0;
      if (at_ + 1 >= text_.size() || text_[at_] != '\\' || text_[at_ + 1] != 'u' ||
          !unit_at(at_ + 2, low) || low < 0xdc00 || low > 0xdfff) {
        return false;
      }
      at_ += 6;
      code_point = 0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00);
    } else if (unit >= 0xdc00 && unit <= 0xdfff) {
      return false;  // a low surrogate alone
    }
    if (decoded != nullptr) AppendUtf8(*decoded, code_point);
  }
  return false;
}

bool CanonicalReader::Integer() {
  bool negative = text_[at_] == '-';
  if (negative) ++at_;
  size_t digits_at = at_;
  while (at_ < text_.size() && text_[at_] >= '0' && text_[at_] <= '9') ++at_;
  std::string_view digits = text_.substr(digits_at, at_ - digits_at);
  if (digits.empty()) return false;
  // No leading zero, no "-0": the writer prints 0 as "0".
  if (digits[0] == '0' && (digits.size() > 1 || negative)) return false;
  // Beyond 64 bits a parser makes a floating-point number of it, which has no canonical form.
  std::string_view limit = negative ? "9223372036854775808" : "18446744073709551615";
  if (digits.size() > limit.size() || (digits.size() == limit.size() && digits > limit)) {
    return false;
  }
  return true;
}

bool CanonicalReader::Literal(std::string_view word) {
  if (text_.substr(at_, word.size()) != word) return false;
  at_ += word.size();
  return true;
}

}  // namespace aarm::receipts::detail
