// Text from files, argv or the agent, made safe to echo in a one-line message on a terminal.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace aarm::policy {

// Returns `text` with everything a terminal could act on or that could break the line escaped:
// control characters as \n \r \t or \xHH, a backslash as \\, bytes that are not valid UTF-8 as
// \xHH, and C1 controls, line separators and bidirectional overrides as \u{XXXX}. Other UTF-8
// passes through unchanged.
std::string EscapeForDisplay(std::string_view text);

// EscapeForDisplay of at most the first `max_bytes` of `text` (cut at a character boundary,
// "..." marking the cut), between single quotes: for echoing a value inside a message.
std::string QuoteForDisplay(std::string_view text, size_t max_bytes = 160);

}  // namespace aarm::policy
