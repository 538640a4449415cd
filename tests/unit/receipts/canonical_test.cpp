#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "aarm/receipts/canonical.hpp"

using aarm::receipts::Base64Decode;
using aarm::receipts::Base64Encode;
using aarm::receipts::Canonicalize;
using aarm::receipts::IsValidUtf8;
using aarm::receipts::LossyUtf8;
using aarm::receipts::NestingWithin;
using aarm::receipts::SanitizeUtf8;
using aarm::receipts::SetBytesField;
using aarm::receipts::Sha256Hex;
using nlohmann::json;

TEST_CASE("canonical form sorts keys and has no white space", "[receipts]") {
  json value = json::parse(R"({"z": 1, "a": {"y": [3, 2, 1], "b": null}, "m": "x y"})");
  auto canonical = Canonicalize(value);
  REQUIRE(canonical);
  CHECK(*canonical == R"({"a":{"b":null,"y":[3,2,1]},"m":"x y","z":1})");
}

TEST_CASE("canonical form survives a parse and re-serialization unchanged", "[receipts]") {
  json value = {{"path", "/tmp/caf\xc3\xa9\n\xe2\x80\xa8\x1b[31m\"q\"\\"},
                {"n", -42},
                {"big", 18446744073709551615ull},
                {"list", {true, false, nullptr, "\xf0\x9f\x98\x80"}}};
  auto first = Canonicalize(value);
  REQUIRE(first);
  auto second = Canonicalize(json::parse(*first));
  REQUIRE(second);
  CHECK(*first == *second);
}

TEST_CASE("canonical form is printable ASCII whatever the strings hold", "[receipts]") {
  std::string hostile = "line\nbreak\r\x1b]0;title\x07\xe2\x80\xa8sep\xe2\x80\xa9\x7f\xc2\x9b";
  auto canonical = Canonicalize(json{{"s", hostile}});
  REQUIRE(canonical);
  for (char c : *canonical) {
    INFO("byte " << static_cast<int>(static_cast<unsigned char>(c)));
    CHECK((c >= 0x20 && c <= 0x7e));
  }
  CHECK(canonical->find("\\u2028") != std::string::npos);
  CHECK(json::parse(*canonical)["s"] == hostile);
}

TEST_CASE("canonical form refuses floats, invalid UTF-8 and deep nesting", "[receipts]") {
  CHECK_FALSE(Canonicalize(json{{"x", 1.5}}));
  CHECK_FALSE(Canonicalize(json{{"x", {{"y", {1, 2, 0.0}}}}}));
  auto invalid = Canonicalize(json{{"path", "\xff\xfe"}});
  REQUIRE_FALSE(invalid);
  CHECK(invalid.error().message.find(".path") != std::string::npos);
  json deep = 1;
  for (int i = 0; i < 100; ++i) deep = json::array({deep});
  CHECK_FALSE(Canonicalize(deep));
}

TEST_CASE("SHA-256 is lowercase hex", "[receipts]") {
  CHECK(Sha256Hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("base64 round-trips and its decoder is strict", "[receipts]") {
  for (std::string bytes : {std::string(), std::string("f"), std::string("fo"), std::string("foo"),
                            std::string("\x00\xff\x10", 3)}) {
    auto decoded = Base64Decode(Base64Encode(bytes));
    REQUIRE(decoded);
    CHECK(*decoded == bytes);
  }
  CHECK(Base64Encode("foob") == "Zm9vYg==");
  CHECK_FALSE(Base64Decode("Zm9vYg="));    // bad length
  CHECK_FALSE(Base64Decode("Zm9vYh=="));   // non-zero unused bits: a second encoding of "foob"
  CHECK_FALSE(Base64Decode("Zm9v Yg=="));  // white space
  CHECK_FALSE(Base64Decode("Zm9v!g=="));
}

TEST_CASE("UTF-8 validation rejects overlong forms, surrogates and stray bytes", "[receipts]") {
  CHECK(IsValidUtf8("plain"));
  CHECK(IsValidUtf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
  CHECK_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong '/'
  CHECK_FALSE(IsValidUtf8("\xed\xa0\x80"));      // surrogate U+D800
  CHECK_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  CHECK_FALSE(IsValidUtf8("abc\xff"));
  CHECK_FALSE(IsValidUtf8("\xe2\x82"));  // truncated
  CHECK(LossyUtf8("a\xffz") == "a\xef\xbf\xbdz");
}

TEST_CASE("bytes that are not UTF-8 are kept exactly in a _b64 field", "[receipts]") {
  json object = json::object();
  SetBytesField(object, "path", "/tmp/\xff\xfe");
  CHECK(object["path"] == "/tmp/\xef\xbf\xbd\xef\xbf\xbd");
  CHECK(*Base64Decode(object["path_b64"].get<std::string>()) == "/tmp/\xff\xfe");
  SetBytesField(object, "path", "/tmp/ok");
  CHECK(object["path"] == "/tmp/ok");
  CHECK_FALSE(object.contains("path_b64"));
}

TEST_CASE("SanitizeUtf8 makes any record canonicalizable and loses no bytes", "[receipts]") {
  json record = {{"action",
                  {{"kind", "exec"},
                   {"path", "/bin/\x80sh"},
                   {"argv", {"sh", "-c", "echo \xfe", "fine"}},
                   {"nested", {{"deep", {"\xc1"}}}}}}};
  SanitizeUtf8(record);
  REQUIRE(Canonicalize(record));
  const json& action = record["action"];
  CHECK(*Base64Decode(action["path_b64"].get<std::string>()) == "/bin/\x80sh");
  REQUIRE(action["argv_b64"].size() == 4);
  CHECK(action["argv_b64"][0].is_null());
  CHECK(*Base64Decode(action["argv_b64"][2].get<std::string>()) == "echo \xfe");
  CHECK(action["argv"][3] == "fine");
  CHECK(action["nested"]["deep"][0] == "\xef\xbf\xbd");
}

TEST_CASE("nesting depth is measured outside strings only", "[receipts]") {
  CHECK(NestingWithin(R"({"a":[{"b":"[[[[[[[[["}]})", 3));
  CHECK_FALSE(NestingWithin(R"([[[[1]]]])", 3));
  CHECK(NestingWithin(R"({"a":"\"[[[["})", 1));
}
