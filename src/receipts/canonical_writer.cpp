#include "canonical_writer.hpp"

#include <array>
#include <charconv>
#include <cstdint>

#include <fmt/format.h>

#include "aarm/receipts/canonical.hpp"
#include "utf8.hpp"

namespace aarm::receipts::detail {
namespace {

using Kind = CanonicalFailure::Kind;

constexpr char kHexDigits[] = "0123456789abcdef";

// The bytes a JSON string holds as they are; everything else is escaped.
constexpr bool IsPlain(unsigned char c) { return c >= 0x20 && c < 0x7f && c != '"' && c != '\\'; }

void AppendUnicodeEscape(std::string& out, uint32_t unit) {
  const char escape[6] = {'\\',
                          'u',
                          kHexDigits[(unit >> 12) & 0xf],
                          kHexDigits[(unit >> 8) & 0xf],
                          kHexDigits[(unit >> 4) & 0xf],
                          kHexDigits[unit & 0xf]};
  out.append(escape, sizeof escape);
}

uint32_t DecodeCodePoint(std::string_view sequence) {
  auto byte = [&](size_t i) { return static_cast<uint32_t>(static_cast<unsigned char>(sequence[i])); };
  switch (sequence.size()) {
    case 2:
      return (byte(0) & 0x1f) << 6 | (byte(1) & 0x3f);
    case 3:
      return (byte(0) & 0x0f) << 12 | (byte(1) & 0x3f) << 6 | (byte(2) & 0x3f);
    default:
      return (byte(0) & 0x07) << 18 | (byte(1) & 0x3f) << 12 | (byte(2) & 0x3f) << 6 |
             (byte(3) & 0x3f);
  }
}

// Writes `text` as a JSON string in printable ASCII: the short escapes JSON has, \u00XX for the
// other control characters and DEL, \uXXXX (a surrogate pair above U+FFFF) for the rest. False
// when `text` is not well-formed UTF-8.
bool AppendString(std::string& out, std::string_view text) {
  out.push_back('"');
  size_t i = 0;
  while (i < text.size()) {
    size_t run = i;
    while (run < text.size() && IsPlain(static_cast<unsigned char>(text[run]))) ++run;
    out.append(text.data() + i, run - i);
    i = run;
    if (i == text.size()) break;
    auto c = static_cast<unsigned char>(text[i]);
    const char* shorthand = nullptr;
    switch (c) {
      case '"': shorthand = "\\\""; break;
      case '\\': shorthand = "\\\\"; break;
      case '\b': shorthand = "\\b"; break;
      case '\f': shorthand = "\\f"; break;
      case '\n': shorthand = "\\n"; break;
      case '\r': shorthand = "\\r"; break;
      case '\t': shorthand = "\\t"; break;
      default: break;
    }
    if (shorthand != nullptr) {
      out.append(shorthand, 2);
      ++i;
      continue;
    }
    if (c < 0x80) {
      AppendUnicodeEscape(out, c);
      ++i;
      continue;
    }
    size_t length = Utf8SequenceLength(text.substr(i));
    if (length == 0) return false;
    uint32_t code_point = DecodeCodePoint(text.substr(i, length));
    if (code_point <= 0xffff) {
      AppendUnicodeEscape(out, code_point);
    } else {
      AppendUnicodeEscape(out, 0xd7c0 + (code_point >> 10));
      AppendUnicodeEscape(out, 0xdc00 + (code_point & 0x3ff));
    }
    i += length;
  }
  out.push_back('"');
  return true;
}

template <typename Integer>
void AppendInteger(std::string& out, Integer value) {
  char digits[24];
  auto [end, error] = std::to_chars(digits, digits + sizeof digits, value);
  (void)error;  // 24 characters hold any 64-bit integer
  out.append(digits, end);
}

bool Fails(CanonicalFailure* failure, Kind kind) {
  if (failure != nullptr) {
    failure->kind = kind;
    failure->path.clear();
  }
  return false;
}

// On the way out of a failed member, its place is put in front of the path.
bool FailsWithin(CanonicalFailure* failure, std::string segment) {
  if (failure != nullptr) failure->path.insert(failure->path.begin(), std::move(segment));
  return false;
}

bool AppendValue(std::string& out, const nlohmann::json& value, int depth,
                 CanonicalFailure* failure);

bool AppendMember(std::string& out, const std::string& key, const nlohmann::json& member,
                  int depth, CanonicalFailure* failure) {
  if (!AppendString(out, key)) return Fails(failure, Kind::kInvalidKey);
  out.push_back(':');
  if (!AppendValue(out, member, depth, failure)) return FailsWithin(failure, "." + key);
  return true;
}

bool AppendValue(std::string& out, const nlohmann::json& value, int depth,
                 CanonicalFailure* failure) {
  if (depth > kMaxNestingDepth) return Fails(failure, Kind::kTooDeep);
  switch (value.type()) {
    case nlohmann::json::value_t::null:
      out.append("null");
      return true;
    case nlohmann::json::value_t::boolean:
      out.append(value.get<bool>() ? "true" : "false");
      return true;
    case nlohmann::json::value_t::number_integer:
      AppendInteger(out, value.get<int64_t>());
      return true;
    case nlohmann::json::value_t::number_unsigned:
      AppendInteger(out, value.get<uint64_t>());
      return true;
    case nlohmann::json::value_t::string:
      if (!AppendString(out, value.get_ref<const std::string&>())) {
        return Fails(failure, Kind::kInvalidString);
      }
      return true;
    case nlohmann::json::value_t::array: {
      const auto& elements = value.get_ref<const nlohmann::json::array_t&>();
      out.push_back('[');
      for (size_t i = 0; i < elements.size(); ++i) {
        if (i > 0) out.push_back(',');
        if (!AppendValue(out, elements[i], depth + 1, failure)) {
          return FailsWithin(failure, fmt::format("[{}]", i));
        }
      }
      out.push_back(']');
      return true;
    }
    case nlohmann::json::value_t::object: {
      out.push_back('{');
      bool first = true;
      for (const auto& [key, member] : value.get_ref<const nlohmann::json::object_t&>()) {
        if (!first) out.push_back(',');
        first = false;
        if (!AppendMember(out, key, member, depth + 1, failure)) return false;
      }
      out.push_back('}');
      return true;
    }
    case nlohmann::json::value_t::number_float:
      return Fails(failure, Kind::kFloat);
    case nlohmann::json::value_t::binary:
      return Fails(failure, Kind::kBinary);
    case nlohmann::json::value_t::discarded:
      return Fails(failure, Kind::kNoValue);
  }
  return Fails(failure, Kind::kNoValue);
}

}  // namespace

std::string CanonicalFailure::Describe() const {
  std::string where;
  for (const std::string& segment : path) where += segment;
  if (where.empty()) where = "(top)";
  switch (kind) {
    case Kind::kTooDeep:
      return fmt::format("receipt field {} nests deeper than {} levels", where, kMaxNestingDepth);
    case Kind::kFloat:
      return fmt::format("receipt field {} is a floating-point number; only integers are allowed",
                         where);
    case Kind::kInvalidString:
      return fmt::format("receipt field {} is not valid UTF-8", where);
    case Kind::kInvalidKey:
      return fmt::format("a receipt field name in {} is not valid UTF-8", where);
    case Kind::kBinary:
      return fmt::format("receipt field {} holds binary data", where);
    case Kind::kNotObject:
      return "a receipt must be a JSON object";
    case Kind::kNoValue:
      break;
  }
  return fmt::format("receipt field {} holds no JSON value", where);
}

bool AppendCanonical(std::string& out, const nlohmann::json& value, CanonicalFailure* failure) {
  return AppendValue(out, value, 1, failure);
}

void SignedRanges::Open() {
  ranges_.clear();
  kept_any_ = false;
  Keep(0, 1);
}

void SignedRanges::Member(size_t begin, size_t end, bool left_out) {
  if (left_out) return;
  // A member after the first kept one brings the comma before it.
  Keep(kept_any_ ? begin - 1 : begin, end);
  kept_any_ = true;
}

void SignedRanges::Close(size_t size) { Keep(size - 1, size); }

void SignedRanges::Keep(size_t begin, size_t end) {
  if (!ranges_.empty() && ranges_.back().end == begin) {
    ranges_.back().end = end;
    return;
  }
  ranges_.push_back(Range{begin, end});
}

Digest SignedRanges::Sha256Of(std::string_view form) const {
  std::array<std::string_view, 4> parts;
  std::vector<std::string_view> more;
  std::span<std::string_view> chosen(parts.data(), ranges_.size());
  if (ranges_.size() > parts.size()) {
    more.resize(ranges_.size());
    chosen = more;
  }
  for (size_t i = 0; i < ranges_.size(); ++i) {
    chosen[i] = form.substr(ranges_[i].begin, ranges_[i].end - ranges_[i].begin);
  }
  return Sha256(chosen);
}

bool RecordForm::Write(const nlohmann::json& record, std::span<const EnvelopeMember> envelope,
                       CanonicalFailure* failure) {
  text_.clear();
  hash_at_ = sig_at_ = std::string::npos;
  if (!record.is_object()) return Fails(failure, Kind::kNotObject);
  const auto& members = record.get_ref<const nlohmann::json::object_t&>();
  text_.push_back('{');
  signed_.Open();
  auto member = members.begin();
  size_t added = 0;
  bool first = true;
  // Both are sorted by key, in the byte order canonical form uses: a merge.
  while (member != members.end() || added < envelope.size()) {
    const bool from_envelope = added < envelope.size() &&
                               (member == members.end() || envelope[added].key <= member->first);
    if (!first) text_.push_back(',');
    first = false;
    const size_t begin = text_.size();
    std::string_view key;
    bool string_value = false;
    if (from_envelope) {
      const EnvelopeMember& extra = envelope[added++];
      if (member != members.end() && member->first == extra.key) ++member;
      key = extra.key;
      text_.push_back('"');
      text_.append(key);
      text_.append("\":");
      text_.append(extra.canonical_value);
      string_value = !extra.canonical_value.empty() && extra.canonical_value.front() == '"';
    } else {
      if (!AppendMember(text_, member->first, member->second, 2, failure)) return false;
      key = member->first;
      string_value = member->second.is_string();
      ++member;
    }
    const bool left_out = IsLeftOutOfHash(key);
    // The value of "hash" or "sig" starts after `"hash":"`.
    if (left_out && string_value) (key == "hash" ? hash_at_ : sig_at_) = begin + key.size() + 4;
    signed_.Member(begin, text_.size(), left_out);
  }
  text_.push_back('}');
  signed_.Close(text_.size());
  return true;
}

}  // namespace aarm::receipts::detail
