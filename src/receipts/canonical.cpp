#include "aarm/receipts/canonical.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "canonical_writer.hpp"
#include "crypto.hpp"
#include "utf8.hpp"

namespace aarm::receipts {
namespace {

bool HasInvalidString(const nlohmann::json& array) {
  for (const auto& element : array) {
    if (element.is_string() && !IsValidUtf8(element.get_ref<const std::string&>())) return true;
  }
  return false;
}

// True when every string and key inside `value` is valid UTF-8: what records nearly always are,
// and then sanitizing has nothing to change.
bool AllValidUtf8(const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::string:
      return IsValidUtf8(value.get_ref<const std::string&>());
    case nlohmann::json::value_t::array:
      for (const auto& element : value.get_ref<const nlohmann::json::array_t&>()) {
        if (!AllValidUtf8(element)) return false;
      }
      return true;
    case nlohmann::json::value_t::object:
      for (const auto& [key, member] : value.get_ref<const nlohmann::json::object_t&>()) {
        if (!IsValidUtf8(key) || !AllValidUtf8(member)) return false;
      }
      return true;
    default:
      return true;
  }
}

void SanitizeInvalid(nlohmann::json& value) {
  if (value.is_string()) {
    const auto& text = value.get_ref<const std::string&>();
    if (!IsValidUtf8(text)) value = LossyUtf8(text);
    return;
  }
  if (value.is_array()) {
    for (auto& element : value) SanitizeInvalid(element);
    return;
  }
  if (!value.is_object()) return;

  nlohmann::json rebuilt = nlohmann::json::object();
  for (auto& [key, member] : value.items()) {
    std::string name = IsValidUtf8(key) ? key : LossyUtf8(key);
    if (member.is_string() && !IsValidUtf8(member.get_ref<const std::string&>())) {
      SetBytesField(rebuilt, name, member.get_ref<const std::string&>());
      continue;
    }
    if (member.is_array() && HasInvalidString(member)) {
      nlohmann::json exact = nlohmann::json::array();
      for (auto& element : member) {
        if (element.is_string() && !IsValidUtf8(element.get_ref<const std::string&>())) {
          exact.push_back(Base64Encode(element.get_ref<const std::string&>()));
        } else {
          exact.push_back(nullptr);
        }
      }
      SanitizeInvalid(member);
      rebuilt[name + "_b64"] = std::move(exact);
    } else {
      SanitizeInvalid(member);
    }
    // A "<key>_b64" written above must survive a later member of that very name.
    if (!rebuilt.contains(name)) rebuilt[name] = std::move(member);
  }
  value = std::move(rebuilt);
}

}  // namespace

bool IsValidUtf8(std::string_view bytes) {
  size_t i = 0;
  while (i < bytes.size()) {
    // ASCII runs dominate receipts; skip them eight bytes at a time, without the table.
    uint64_t word;
    if (i + sizeof word <= bytes.size()) {
      std::memcpy(&word, bytes.data() + i, sizeof word);
      if ((word & 0x8080808080808080u) == 0) {
        i += sizeof word;
        continue;
      }
    }
    if (static_cast<unsigned char>(bytes[i]) < 0x80) {
      ++i;
      continue;
    }
    size_t length = detail::Utf8SequenceLength(bytes.substr(i));
    if (length == 0) return false;
    i += length;
  }
  return true;
}

std::string LossyUtf8(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  size_t i = 0;
  while (i < bytes.size()) {
    size_t length = detail::Utf8SequenceLength(bytes.substr(i));
    if (length == 0) {
      out += "\xef\xbf\xbd";  // U+FFFD
      ++i;
    } else {
      out.append(bytes.substr(i, length));
      i += length;
    }
  }
  return out;
}

std::string Base64Encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(written));
  return out;
}

Result<std::string> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) return Fail("invalid base64: length is not a multiple of 4");
  std::string out(text.size() / 4 * 3 + 1, '\0');
  int written = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (written < 0) return Fail("invalid base64");
  // EVP_DecodeBlock counts the padding as zero bytes and tolerates white space around the text;
  // a round trip rejects both, so that one byte string has exactly one encoding.
  size_t padding = 0;
  if (!text.empty() && text.back() == '=')
    padding = text.size() >= 2 && text[text.size() - 2] == '=' ? 2 : 1;
  out.resize(static_cast<size_t>(written) - std::min(padding, static_cast<size_t>(written)));
  if (Base64Encode(out) != text) return Fail("invalid base64");
  return out;
}

std::string Sha256Hex(std::string_view data) { return detail::Hex(detail::Sha256(data)); }

Result<std::string> Canonicalize(const nlohmann::json& value) {
  std::string out;
  detail::CanonicalFailure failure;
  if (!detail::AppendCanonical(out, value, &failure)) return Fail(failure.Describe());
  return out;
}

void SetBytesField(nlohmann::json& object, const std::string& key, std::string_view bytes) {
  if (IsValidUtf8(bytes)) {
    object[key] = std::string(bytes);
    object.erase(key + "_b64");
    return;
  }
  object[key] = LossyUtf8(bytes);
  object[key + "_b64"] = Base64Encode(bytes);
}

void SanitizeUtf8(nlohmann::json& value) {
  if (!AllValidUtf8(value)) SanitizeInvalid(value);
}

bool NestingWithin(std::string_view text, int max_depth) {
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return false;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return true;
}

}  // namespace aarm::receipts
