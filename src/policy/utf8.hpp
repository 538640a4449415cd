// Strict UTF-8 decoding, shared by the escaping of messages and the reading of profiles.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace aarm::policy::detail {

// Length of the well-formed UTF-8 sequence at the start of `s`, with its code point in `cp`; 0
// when the bytes there are not well-formed (overlong forms, surrogates and values past U+10FFFF
// included) or `s` is empty.
size_t DecodeUtf8(std::string_view s, uint32_t& cp);

// Offset of the first byte of `s` that does not start a well-formed sequence, or npos.
size_t FirstInvalidUtf8(std::string_view s);

}  // namespace aarm::policy::detail
