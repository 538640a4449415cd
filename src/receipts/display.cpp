#include "aarm/receipts/display.hpp"

#include <fmt/format.h>

#include "utf8.hpp"

namespace aarm::receipts {
namespace {

bool IsInvisibleFormatting(char32_t c) {
  return (c >= 0x80 && c <= 0x9f) ||      // C1 controls (CSI is 0x9b)
         c == 0x061c ||                   // Arabic letter mark
         c == 0x200e || c == 0x200f ||    // left-to-right and right-to-left marks
         c == 0x2028 || c == 0x2029 ||    // line and paragraph separators
         (c >= 0x202a && c <= 0x202e) ||  // bidirectional embeddings and overrides
         (c >= 0x2066 && c <= 0x2069);    // bidirectional isolates
}

}  // namespace

std::string EscapeForTerminal(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    size_t length = detail::Utf8SequenceLength(text.substr(i));
    if (length == 0) {
      out += fmt::format("\\x{:02x}", static_cast<unsigned char>(text[i]));
      ++i;
      continue;
    }
    char32_t c = detail::Utf8Decode(text.substr(i), length);
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == 0x1b) {
      out += "\\e";
    } else if (c < 0x20 || c == 0x7f) {
      out += fmt::format("\\x{:02x}", static_cast<unsigned>(c));
    } else if (IsInvisibleFormatting(c)) {
      out += fmt::format("\\u{{{:04x}}}", static_cast<unsigned>(c));
    } else {
      out.append(text.substr(i, length));
    }
    i += length;
  }
  return out;
}

}  // namespace aarm::receipts
