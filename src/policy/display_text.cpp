#include "aarm/policy/display_text.hpp"

#include <fmt/format.h>

#include <cstdint>

#include "utf8.hpp"

namespace aarm::policy {
namespace {

using detail::DecodeUtf8;

// Code points a terminal or a text renderer acts on rather than shows: C1 controls (0x9B is CSI
// on some terminals), line and paragraph separators, and the bidirectional controls that let a
// path read differently from what it is.
bool IsInvisibleControl(uint32_t cp) {
  return (cp >= 0x80 && cp <= 0x9F) || cp == 0x200E || cp == 0x200F || cp == 0x2028 ||
         cp == 0x2029 || (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) ||
         cp == 0xFEFF;
}

}  // namespace

std::string EscapeForDisplay(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<uint8_t>(text[i]);
    if (c < 0x80) {
      switch (c) {
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
          if (c < 0x20 || c == 0x7F) {
            out += fmt::format("\\x{:02x}", c);
          } else {
            out += static_cast<char>(c);
          }
      }
      ++i;
      continue;
    }
    uint32_t cp = 0;
    const size_t length = DecodeUtf8(text.substr(i), cp);
    if (length == 0) {
      out += fmt::format("\\x{:02x}", c);
      ++i;
    } else if (IsInvisibleControl(cp)) {
      out += fmt::format("\\u{{{:04X}}}", cp);
      i += length;
    } else {
      out.append(text.substr(i, length));
      i += length;
    }
  }
  return out;
}

std::string QuoteForDisplay(std::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return "'" + EscapeForDisplay(text) + "'";
  size_t cut = max_bytes;
  while (cut > 0 && (static_cast<uint8_t>(text[cut]) & 0xC0) == 0x80) --cut;
  return "'" + EscapeForDisplay(text.substr(0, cut)) + "...'";
}

}  // namespace aarm::policy
