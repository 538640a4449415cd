// The canonical form written in one pass over a record, checked as it is written, and the record
// form that both the log and the verifier use: one serialization that yields the stored line and,
// as byte ranges of it, the form `hash` is computed over. Private to src/receipts/.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "crypto.hpp"

namespace aarm::receipts::detail {

// Why a value has no canonical form, and where in it.
struct CanonicalFailure {
  enum class Kind { kTooDeep, kFloat, kInvalidString, kInvalidKey, kBinary, kNoValue, kNotObject };
  Kind kind = Kind::kNoValue;
  // From the outermost to the innermost: ".key" for an object member, "[i]" for an array element.
  std::vector<std::string> path;

  // "receipt field .action.path is not valid UTF-8"
  std::string Describe() const;
};

// Appends the canonical form of `value` (see canonical.hpp) to `out`: byte for byte what
// nlohmann::json::dump(-1, ' ', true, strict) writes, without the separate checking pass and
// the copies. On a value with no canonical form it returns false, `out` holds a partial form and
// `failure`, when given, says why.
bool AppendCanonical(std::string& out, const nlohmann::json& value,
                     CanonicalFailure* failure = nullptr);

// A record object in its canonical form, serialized once. The form `hash` covers, the canonical
// form of the record without its "hash" and "sig" members, is `text` less those two members and
// the comma that separated each: at most three byte ranges of `text`.
class RecordForm {
 public:
  // Serializes `record` (an object) into this form, reusing its buffer. False, with `failure`
  // set when given, when the record has no canonical form.
  bool Write(const nlohmann::json& record, CanonicalFailure* failure = nullptr);

  // SHA-256 of the canonical form without "hash" and "sig".
  Digest SignedDigest() const;

  const std::string& Text() const { return text_; }
  std::string& MutableText() { return text_; }
  // Offset in Text() of the first character of the string value of "hash" ("sig"), or npos when
  // the record has no such string member.
  size_t HashValueAt() const { return hash_at_; }
  size_t SigValueAt() const { return sig_at_; }

 private:
  struct Range {
    size_t begin = 0;
    size_t end = 0;
  };
  void Keep(size_t begin, size_t end);

  std::string text_;
  // Removing two members of an object leaves at most three runs of the rest.
  std::array<Range, 3> signed_ranges_{};
  size_t signed_range_count_ = 0;
  size_t hash_at_ = std::string::npos;
  size_t sig_at_ = std::string::npos;
};

}  // namespace aarm::receipts::detail
