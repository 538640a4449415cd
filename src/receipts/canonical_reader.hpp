// Reads a line that is already in canonical form without building a JSON tree: the verifier's
// fast path for the records that are what they should be. Private to src/receipts/.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace aarm::receipts::detail {

// A member of the object a line holds.
struct LineMember {
  std::string_view key;    // only keys written without escapes are read (those of receipts)
  std::string_view value;  // its text: "…" with the quotes for a string
  char kind = 0;           // '{' object, '[' array, '"' string, '0' integer, 'b' true or false, 'n' null
  size_t begin = 0;        // offset in the line of the member's first byte, the key's quote
  size_t end = 0;          // offset just past its value
};

class CanonicalReader {
 public:
  // Splits `line` into its top-level members when `line` is exactly the canonical form of a JSON
  // object (canonical.hpp): exactly what Canonicalize writes of the value nlohmann::json parses
  // from it. False when it is not, and also for a top-level key written with an escape: deciding
  // those is left to the full parser.
  bool Read(std::string_view line, std::vector<LineMember>& members);

  // The text of a string value read above, when it holds no escape (its quotes stripped).
  static bool PlainString(const LineMember& member, std::string_view& text);

 private:
  bool Value(int depth);
  bool Object(int depth, std::vector<LineMember>* members);
  bool Array(int depth);
  // A string; its decoded bytes go to `decoded` when given.
  bool String(std::string* decoded);
  bool Integer();
  bool Literal(std::string_view word);

  std::string_view text_;
  size_t at_ = 0;
  // The previous key of each open object, decoded, to check that keys strictly increase.
  std::vector<std::string> keys_;
};

}  // namespace aarm::receipts::detail
