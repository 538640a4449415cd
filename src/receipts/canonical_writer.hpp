// The canonical form written in one pass over a record, checked as it is written, and the record
// form that both the log and the verifier use: one serialization that yields the stored line and,
// as byte ranges of it, the form `hash` is computed over. Private to src/receipts/.
#pragma once

#include <cstddef>
#include <span>
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

// The bytes `hash` covers: the canonical form of a record object less its "hash" and "sig"
// members and the comma that separated each, as byte ranges of the whole form. Keys are sorted,
// so that is exactly the canonical form of the record without them.
class SignedRanges {
 public:
  // Starts over for a form whose opening brace is at offset 0.
  void Open();
  // The next member of the form, at [begin, end); `left_out` for "hash" and "sig".
  void Member(size_t begin, size_t end, bool left_out);
  // The closing brace, the last byte of a form of `size` bytes.
  void Close(size_t size);
  // SHA-256 of those ranges of `form`.
  Digest Sha256Of(std::string_view form) const;

 private:
  struct Range {
    size_t begin = 0;
    size_t end = 0;
  };
  void Keep(size_t begin, size_t end);

  std::vector<Range> ranges_;  // reused: two members left out leave at most three
  bool kept_any_ = false;
};

// A record object in its canonical form, serialized once: the stored line, and as byte ranges
// of it the form `hash` covers.
// A member the log adds to every record ("v", "type", "seq", "hash"...), given with its value
// already in canonical form (a quoted string needing no escape, or an integer): merged into the
// record's members as the form is written, instead of being inserted into its JSON first.
struct EnvelopeMember {
  std::string_view key;
  std::string_view canonical_value;
};

class RecordForm {
 public:
  // Serializes `record` (an object) into this form, reusing its buffer. False, with `failure`
  // set when given, when the record has no canonical form.
  bool Write(const nlohmann::json& record, CanonicalFailure* failure = nullptr) {
    return Write(record, {}, failure);
  }
  // The same with `envelope` (sorted by key) merged in; a key the record has too is the
  // envelope's.
  bool Write(const nlohmann::json& record, std::span<const EnvelopeMember> envelope,
             CanonicalFailure* failure = nullptr);

  // SHA-256 of the canonical form without "hash" and "sig".
  Digest SignedDigest() const { return signed_.Sha256Of(text_); }

  const std::string& Text() const { return text_; }
  std::string& MutableText() { return text_; }
  // Offset in Text() of the first character of the string value of "hash" ("sig"), or npos when
  // the record has no such string member.
  size_t HashValueAt() const { return hash_at_; }
  size_t SigValueAt() const { return sig_at_; }

 private:
  std::string text_;
  SignedRanges signed_;
  size_t hash_at_ = std::string::npos;
  size_t sig_at_ = std::string::npos;
};

// True for the members `hash` does not cover.
inline bool IsLeftOutOfHash(std::string_view key) { return key == "hash" || key == "sig"; }

}  // namespace aarm::receipts::detail
