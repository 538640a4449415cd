// The byte form of a receipt. A record is hashed, signed and stored in its canonical form:
// keys sorted, no insignificant white space, integers only, and every character outside
// printable ASCII written as a \uXXXX escape. A stored line is therefore printable ASCII: no
// newline, U+2028 or escape sequence in agent-controlled data can start a new line of the file
// or reach a terminal that prints it raw.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "aarm/base/error.hpp"

namespace aarm::receipts {

inline constexpr int kFormatVersion = 1;

// The longest record line written or read, newline included. The writer refuses a longer
// record; the verifier reports a longer line as "line too long" without holding it.
inline constexpr size_t kMaxRecordBytes = size_t{32} << 20;

// The deepest nesting of arrays and objects a record may have. Receipts need a handful of
// levels; the bound keeps recursive serialization of hostile input off the end of the stack.
inline constexpr int kMaxNestingDepth = 64;

// The canonical form of `value`. Fails on a floating-point number anywhere inside it, on a
// string or key that is not valid UTF-8 (run SanitizeUtf8 first on agent-controlled data), on
// binary or discarded values and on nesting deeper than kMaxNestingDepth; the error names the
// field (".action.argv[2]").
Result<std::string> Canonicalize(const nlohmann::json& value);

// SHA-256 of `data`, lowercase hex.
std::string Sha256Hex(std::string_view data);

// RFC 4648 base64 with padding.
std::string Base64Encode(std::string_view bytes);
// Strict inverse of Base64Encode: fails on anything Base64Encode would not produce.
Result<std::string> Base64Decode(std::string_view text);

// True when `bytes` is well-formed UTF-8 (no overlong forms, surrogates or code points above
// U+10FFFF).
bool IsValidUtf8(std::string_view bytes);
// `bytes` with every byte that is not part of a well-formed UTF-8 sequence replaced by U+FFFD.
std::string LossyUtf8(std::string_view bytes);

// Stores `bytes` under `key` of `object`. Valid UTF-8 is stored as it is; anything else is
// stored as its lossy display form, with the exact bytes in base64 under "<key>_b64".
void SetBytesField(nlohmann::json& object, const std::string& key, std::string_view bytes);

// Makes every string inside `value` valid UTF-8 so that it can be canonicalized. A string
// member of an object that is not valid UTF-8 is replaced by its lossy form and its exact bytes
// go to "<key>_b64" beside it (as SetBytesField does); an array of strings with one or more
// invalid members gets "<key>_b64", an array of the same length holding base64 for each invalid
// member and null for the others. Invalid strings elsewhere (nested arrays, keys) become lossy.
void SanitizeUtf8(nlohmann::json& value);

// True when the JSON text `text` nests arrays and objects no deeper than `max_depth`. Checked
// before parsing untrusted lines.
bool NestingWithin(std::string_view text, int max_depth);

}  // namespace aarm::receipts
