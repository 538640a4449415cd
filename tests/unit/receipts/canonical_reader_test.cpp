// The verifier's fast reader must never take a line for canonical that is not: whatever it
// accepts, nlohmann::json parses and the canonical writer writes back byte for byte.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "../../../src/receipts/canonical_reader.hpp"
#include "aarm/receipts/canonical.hpp"
#include "hostile_values.hpp"

using aarm::receipts::Canonicalize;
using aarm::receipts::kMaxNestingDepth;
using aarm::receipts::detail::CanonicalReader;
using aarm::receipts::detail::LineMember;
using aarm::receipts::testing::HostileValues;
using aarm::receipts::testing::Nested;
using aarm::receipts::testing::ReferenceForm;
using nlohmann::json;

namespace {

// True when `line` is the canonical form of what it parses to.
bool IsCanonical(const std::string& line) {
  json parsed = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return false;
  auto written = Canonicalize(parsed);
  return written && *written == line;
}

bool Reads(const std::string& line) {
  CanonicalReader reader;
  std::vector<LineMember> members;
  return reader.Read(line, members);
}

// One random change of the kinds that turn a canonical line into a near miss.
std::string Mutate(const std::string& line, HostileValues& random) {
  static const std::string kSignificant = "\"\\{}[],:-0123456789.eEu/ abcdefABCDEFtrn";
  std::string changed = line;
  size_t at = random.Below(changed.size());
  char c = kSignificant[random.Below(kSignificant.size())];
  switch (random.Below(5)) {
    case 0:
      changed[at] = c;
      break;
    case 1:
      changed.insert(changed.begin() + static_cast<std::ptrdiff_t>(at), c);
      break;
    case 2:
      changed.erase(at, 1 + random.Below(3));
      break;
    case 3: {
      size_t length = random.Below(12);
      changed.insert(at, changed.substr(random.Below(changed.size()), length));
      break;
    }
    default:
      changed[at] = static_cast<char>(random.Below(256));
  }
  return changed;
}

}  // namespace

TEST_CASE("the fast reader reads every canonical record and splits its members", "[receipts]") {
  HostileValues values(424242);
  CanonicalReader reader;
  std::vector<LineMember> members;
  for (int i = 0; i < 3000; ++i) {
    json record = values.Object(0);
    std::string line = ReferenceForm(record);
    bool escaped_key = false;
    for (const auto& [key, member] : record.items()) {
      escaped_key = escaped_key || ReferenceForm(json(key)).find('\\') != std::string::npos;
    }
    if (escaped_key) {
      // Left to the full parser.
      CHECK_FALSE(reader.Read(line, members));
      continue;
    }
    REQUIRE(reader.Read(line, members));
    REQUIRE(members.size() == record.size());
    size_t i_member = 0;
    for (const auto& [key, member] : record.items()) {
      const LineMember& read = members[i_member++];
      REQUIRE(read.key == key);
      REQUIRE(read.value == ReferenceForm(member));
      REQUIRE(line.substr(read.begin, read.end - read.begin) ==
              ReferenceForm(json(key)) + ":" + ReferenceForm(member));
    }
  }
}

TEST_CASE("whatever the fast reader accepts is canonical", "[receipts]") {
  HostileValues values(99);
  int accepted_changes = 0;
  for (int i = 0; i < 4000; ++i) {
    std::string line = ReferenceForm(values.Object(0));
    for (int change = 0; change < 8; ++change) {
      std::string changed = Mutate(line, values);
      if (!Reads(changed)) continue;
      INFO(changed);
      REQUIRE(IsCanonical(changed));
      accepted_changes += changed != line;
    }
  }
  // Some changes leave a canonical line (another digit, another letter): the check above ran.
  CHECK(accepted_changes > 0);
}

TEST_CASE("the fast reader refuses each way of being almost canonical", "[receipts]") {
  for (std::string line : {
           R"({"a":1 })", R"({ "a":1})", R"({"a" :1})", R"({"a":1,})", R"({"a":1}x)",
           R"({"b":1,"a":2})", R"({"a":1,"a":1})", R"({"a":-0})", R"({"a":01})",
           R"({"a":1.0})", R"({"a":1e3})", R"({"a":18446744073709551616})",
           R"({"a":-9223372036854775809})", R"({"a":"\u00E9"})", R"({"a":"\u0041"})",
           R"({"a":"\/"})", R"({"a":"\u0008"})", R"({"a":"\u000a"})", R"({"a":"\u0022"})",
           R"({"a":"\ud800"})", R"({"a":"\udc00"})", R"({"a":"\ud800\u0041"})", R"({"a":"\x"})",
           "{\"a\":\"\x7f\"}", "{\"a\":\"\xc3\xa9\"}", "{\"a\":\"\t\"}", R"({"a":tru})",
           R"({"a":True})", R"({"a":[1,]})", R"({"a":[,1]})", R"({"a":{"b":1,"b":2}})",
           R"({"a":{"\u00e9":1,"z":2}})", R"({"a":"unterminated)", ""}) {
    INFO(line);
    CHECK_FALSE(Reads(line));
    CHECK_FALSE(IsCanonical(line));
  }
  for (std::string line :
       {R"({"a":18446744073709551615,"b":-9223372036854775808,"c":0,"d":-1})",
        R"({"a":"\u00e9\u007f\u0000\b\f\n\r\t\"\\/\ud83d\ude00\u2028"})",
        // Keys are sorted by their bytes once decoded: U+00E9 is C3 A9, after "z".
        R"({"a":{"z":2,"\u00e9":1},"b":[],"c":{},"d":[true,false,null]})",
        R"({"":1,"A":2,"a":3})"}) {
    INFO(line);
    CHECK(IsCanonical(line));
    CHECK(Reads(line));
  }
  // Canonical, but not a record or not one the fast reader decides: left to the full parser.
  for (std::string line : {R"([1])", R"("a")", R"({"\u00e9":1})"}) {
    INFO(line);
    CHECK(IsCanonical(line));
    CHECK_FALSE(Reads(line));
  }

  // As deep as the writer allows, and no deeper.
  std::string deepest = "{\"a\":" + ReferenceForm(Nested(kMaxNestingDepth - 2)) + "}";
  std::string too_deep = "{\"a\":" + ReferenceForm(Nested(kMaxNestingDepth - 1)) + "}";
  CHECK(Reads(deepest));
  CHECK(IsCanonical(deepest));
  CHECK_FALSE(Reads(too_deep));
  CHECK_FALSE(IsCanonical(too_deep));
}
