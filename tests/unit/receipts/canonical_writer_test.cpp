// The one-pass canonical writer against nlohmann::json's own serializer, on hostile records: the
// bytes of a receipt, and so every hash and signature, must not depend on which one wrote it.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "../../../src/receipts/canonical_writer.hpp"
#include "../../../src/receipts/crypto.hpp"
#include "aarm/receipts/canonical.hpp"
#include "aarm/receipts/signing_key.hpp"
#include "hostile_values.hpp"

using aarm::receipts::Canonicalize;
using aarm::receipts::kMaxNestingDepth;
using aarm::receipts::Sha256Hex;
using aarm::receipts::detail::CanonicalFailure;
using aarm::receipts::detail::Hex;
using aarm::receipts::detail::RecordForm;
using aarm::receipts::testing::HostileValues;
using aarm::receipts::testing::Nested;
using aarm::receipts::testing::ReferenceForm;
using nlohmann::json;

TEST_CASE("the canonical writer writes what nlohmann::json dumps, byte for byte", "[receipts]") {
  HostileValues values(20261123);
  for (int i = 0; i < 3000; ++i) {
    json value = values.Value(0);
    std::string expected = ReferenceForm(value);
    auto written = Canonicalize(value);
    REQUIRE(written);
    REQUIRE(*written == expected);
  }
  for (std::string text : {std::string(), std::string("\0", 1), std::string("\xf4\x8f\xbf\xbf"),
                           std::string("a\"b\\c\x7f\xc2\x80\xe2\x80\xa8")}) {
    CHECK(*Canonicalize(json{{text, text}}) == ReferenceForm(json{{text, text}}));
  }
  for (json number : {json(INT64_MIN), json(INT64_MAX), json(UINT64_MAX), json(0), json(-0)}) {
    CHECK(*Canonicalize(number) == ReferenceForm(number));
  }
  CHECK(*Canonicalize(json::object()) == "{}");
  CHECK(*Canonicalize(json::array()) == "[]");
}

TEST_CASE("the canonical writer refuses what has no canonical form and says where", "[receipts]") {
  auto message = [](const json& value) {
    auto written = Canonicalize(value);
    REQUIRE_FALSE(written);
    return written.error().message;
  };
  CHECK(message(json{{"a", {{"b", {1, 2.5}}}}}) ==
        "receipt field .a.b[1] is a floating-point number; only integers are allowed");
  CHECK(message(json{{"path", "/tmp/\xff"}}) == "receipt field .path is not valid UTF-8");
  CHECK(message(json{{"argv", {"ok", "\xed\xa0\x80"}}}) ==
        "receipt field .argv[1] is not valid UTF-8");
  CHECK(message(json{{"a", {{"\xc0\xaf", 1}}}}) ==
        "a receipt field name in .a is not valid UTF-8");
  CHECK(message(json::binary({1, 2})) == "receipt field (top) holds binary data");
  CHECK(message(json(json::value_t::discarded)) == "receipt field (top) holds no JSON value");
  CHECK(message(2.0) == "receipt field (top) is a floating-point number; only integers are allowed");

  // The outermost value is at depth 1: a scalar inside 63 arrays is at the limit, inside 64 past it.
  CHECK(Canonicalize(Nested(kMaxNestingDepth - 1)));
  CHECK(message(Nested(kMaxNestingDepth)).find("nests deeper than 64 levels") != std::string::npos);
}

TEST_CASE("a record form hashes exactly the record without hash and sig", "[receipts]") {
  HostileValues values(7);
  RecordForm form;
  // Keys around "hash" and "sig" in byte order, so that the two land first, last, side by side,
  // alone or not at all.
  const std::vector<std::string> keys = {"",        "a",   "exit", "has", "hasi", "identity",
                                         "session", "si",  "sih",  "type", "v",    "\xc3\xa9"};
  for (int i = 0; i < 4000; ++i) {
    json record = json::object();
    for (const std::string& key : keys) {
      if (values.Below(3) == 0) record[key] = values.Value(1);
    }
    if (values.Below(2) == 0) record["hash"] = values.String();
    if (values.Below(2) == 0) record["sig"] = values.String();

    REQUIRE(form.Write(record));
    REQUIRE(form.Text() == ReferenceForm(record));
    json without = record;
    without.erase("hash");
    without.erase("sig");
    REQUIRE(Hex(form.SignedDigest()) == Sha256Hex(ReferenceForm(without)));
    for (const char* name : {"hash", "sig"}) {
      size_t at = std::string(name) == "hash" ? form.HashValueAt() : form.SigValueAt();
      if (!record.contains(name)) {
        REQUIRE(at == std::string::npos);
        continue;
      }
      // The value starts there, in its escaped form.
      std::string escaped = ReferenceForm(record[name]);
      REQUIRE(form.Text().compare(at - 1, escaped.size(), escaped) == 0);
    }
  }
}

TEST_CASE("members merged in as the form is written read as if they were in the record",
          "[receipts]") {
  HostileValues values(11);
  RecordForm form;
  // The log's own members, and record keys around them in byte order, some the same.
  const std::vector<std::string> keys = {"",   "action", "hash", "prev", "seq", "seqz", "session",
                                         "si", "sig",    "ts",   "type", "u",   "v",    "w"};
  const std::vector<std::pair<std::string, json>> log_members = {
      {"hash", std::string(64, '0')}, {"prev", "ab12"},        {"seq", 7},
      {"session", "6f1c-4d5e"},       {"sig", std::string(88, 'A')},
      {"ts", "2026-11-23T08:00:00.000001Z"}, {"type", "action"}, {"v", 1}};
  for (int i = 0; i < 4000; ++i) {
    json record = json::object();
    for (const std::string& key : keys) {
      if (values.Below(3) == 0) record[key] = values.Value(1);
    }
    // Only some of the log's members, so that each is first, last or alone in turn.
    std::vector<std::string> canonical_values;
    std::vector<aarm::receipts::detail::EnvelopeMember> envelope;
    json expected = record;
    canonical_values.reserve(log_members.size());
    for (const auto& [key, value] : log_members) {
      if (values.Below(3) == 0) continue;
      canonical_values.push_back(ReferenceForm(value));
      envelope.push_back({key, canonical_values.back()});
      expected[key] = value;
    }
    REQUIRE(form.Write(record, envelope));
    REQUIRE(form.Text() == ReferenceForm(expected));
    json without = expected;
    without.erase("hash");
    without.erase("sig");
    REQUIRE(Hex(form.SignedDigest()) == Sha256Hex(ReferenceForm(without)));
    for (const char* name : {"hash", "sig"}) {
      size_t at = std::string(name) == "hash" ? form.HashValueAt() : form.SigValueAt();
      if (!expected.contains(name) || !expected[name].is_string()) continue;
      std::string escaped = ReferenceForm(expected[name]);
      REQUIRE(form.Text().compare(at - 1, escaped.size(), escaped) == 0);
    }
  }
}

TEST_CASE("a record form refuses what is not a canonical object", "[receipts]") {
  RecordForm form;
  CanonicalFailure failure;
  CHECK_FALSE(form.Write(json::array({1}), &failure));
  CHECK(failure.Describe() == "a receipt must be a JSON object");
  CHECK_FALSE(form.Write(json{{"hash", "x"}, {"action", {{"n", 0.5}}}}, &failure));
  CHECK(failure.Describe() ==
        "receipt field .action.n is a floating-point number; only integers are allowed");
  // A failure leaves the form usable for the next record.
  REQUIRE(form.Write(json{{"hash", "h"}, {"sig", "s"}}));
  CHECK(form.Text() == R"({"hash":"h","sig":"s"})");
  CHECK(Hex(form.SignedDigest()) == Sha256Hex("{}"));
}

TEST_CASE("a signature checker reused across keys and bad signatures judges each alone",
          "[receipts]") {
  using aarm::receipts::Base64Decode;
  using aarm::receipts::SigningKey;
  using aarm::receipts::detail::Ed25519PublicKey;
  using aarm::receipts::detail::SignatureChecker;
  auto first = SigningKey::Generate();
  auto second = SigningKey::Generate();
  REQUIRE(first);
  REQUIRE(second);
  auto public_key = [](const SigningKey& key) {
    return Ed25519PublicKey(*Base64Decode(key.PublicKeyBase64()));
  };
  auto first_public = public_key(*first);
  auto second_public = public_key(*second);
  auto sign = [](const SigningKey& key, const std::string& message) {
    return *Base64Decode(*key.Sign(message));
  };
  std::string by_first = sign(*first, "one");
  std::string by_second = sign(*second, "two");
  std::string damaged = by_first;
  damaged[10] ^= 0x01;

  SignatureChecker checker;
  for (int round = 0; round < 3; ++round) {
    CHECK(checker.Verify(first_public.get(), "one", by_first));
    CHECK_FALSE(checker.Verify(first_public.get(), "one", damaged));
    CHECK(checker.Verify(first_public.get(), "one", by_first));
    CHECK_FALSE(checker.Verify(second_public.get(), "one", by_first));
    CHECK(checker.Verify(second_public.get(), "two", by_second));
    CHECK_FALSE(checker.Verify(second_public.get(), "two!", by_second));
    CHECK_FALSE(checker.Verify(first_public.get(), "two", by_second));
    CHECK_FALSE(checker.Verify(first_public.get(), "one", by_first.substr(1)));
  }
}
