// Generated JSON values that stress the canonical form: every kind of character escaping gets
// wrong, extreme integers, empty and nested containers.
#pragma once

#include <climits>
#include <cstdint>
#include <iterator>
#include <random>
#include <string>

#include <nlohmann/json.hpp>

#include "../../../src/receipts/utf8.hpp"

namespace aarm::receipts::testing {

class HostileValues {
 public:
  explicit HostileValues(uint64_t seed) : random_(seed) {}

  // Valid UTF-8 built from what escaping gets wrong: control characters, quotes, backslashes,
  // DEL, C1 controls, line and paragraph separators, the edges of each UTF-8 length, the last
  // code points before and after the surrogates, and astral characters (surrogate pairs).
  std::string String() {
    static constexpr uint32_t kEdges[] = {
        0x00,   0x01,   0x07,   0x08,   0x09,   0x0a,   0x0b,    0x0c,    0x0d,    0x1b,
        0x1f,   0x20,   '"',    '\\',   '/',    0x7e,   0x7f,    0x80,    0x9b,    0xff,
        0x100,  0x7ff,  0x800,  0xfff,  0x2028, 0x2029, 0xd7ff,  0xe000,  0xfeff,  0xfffd,
        0xffff, 0x10000, 0x1f600, 0xfffff, 0x100000, 0x10ffff};
    std::string text;
    size_t length = Below(24);
    for (size_t i = 0; i < length; ++i) {
      switch (Below(4)) {
        case 0:
          aarm::receipts::detail::AppendUtf8(text, kEdges[Below(std::size(kEdges))]);
          break;
        case 1: {
          uint32_t code_point = static_cast<uint32_t>(Below(0x110000));
          if (code_point >= 0xd800 && code_point <= 0xdfff) code_point -= 0x800;
          aarm::receipts::detail::AppendUtf8(text, code_point);
          break;
        }
        default:
          text.push_back(static_cast<char>(0x20 + Below(0x5f)));
      }
    }
    return text;
  }

  nlohmann::json Integer() {
    switch (Below(6)) {
      case 0: return INT64_MIN;
      case 1: return UINT64_MAX;
      case 2: return -1;
      case 3: return 0;
      case 4: return static_cast<int64_t>(random_());
      default: return static_cast<uint64_t>(random_());
    }
  }

  nlohmann::json Value(int depth) {
    switch (Below(depth > 5 ? 4 : 7)) {
      case 0: return nullptr;
      case 1: return Below(2) == 0;
      case 2: return Integer();
      case 3: return String();
      case 4: {
        nlohmann::json array = nlohmann::json::array();
        for (size_t i = Below(5); i > 0; --i) array.push_back(Value(depth + 1));
        return array;
      }
      default: return Object(depth);
    }
  }

  nlohmann::json Object(int depth) {
    nlohmann::json object = nlohmann::json::object();
    for (size_t i = Below(6); i > 0; --i) object[String()] = Value(depth + 1);
    return object;
  }

  size_t Below(size_t bound) { return static_cast<size_t>(random_() % bound); }

 private:
  std::mt19937_64 random_;
};

// What the receipts were written with before the one-pass writer.
inline std::string ReferenceForm(const nlohmann::json& value) {
  return value.dump(-1, ' ', /*ensure_ascii=*/true, nlohmann::json::error_handler_t::strict);
}

// A scalar inside `levels` arrays.
inline nlohmann::json Nested(int levels) {
  nlohmann::json value = 1;
  for (int i = 0; i < levels; ++i) value = nlohmann::json::array({value});
  return value;
}

}  // namespace aarm::receipts::testing
