// Showing receipt contents on a terminal. Everything in a receipt that came from the agent (paths,
// arguments, host names) passes through EscapeForTerminal before it is printed.
#pragma once

#include <string>
#include <string_view>

namespace aarm::receipts {

// `text` with every character that could move the cursor, change colours, reorder text or end a
// line written as a visible escape: C0 and C1 controls and DEL as \n, \t, \r, \e or \xNN, the
// Unicode line and paragraph separators and bidirectional controls as \u{NNNN}, bytes that are
// not UTF-8 as \xNN, and the backslash itself as \\. Printable text is kept as it is.
std::string EscapeForTerminal(std::string_view text);

}  // namespace aarm::receipts
