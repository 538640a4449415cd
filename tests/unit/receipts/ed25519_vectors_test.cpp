// Receipts are signed by libsodium and read by anyone's Ed25519: the signatures must be RFC
// 8032's, byte for byte, and OpenSSL's own check must accept them.
#include <openssl/evp.h>

#include <catch2/catch.hpp>
#include <string>

#include "aarm/receipts/canonical.hpp"
#include "aarm/receipts/signing_key.hpp"

using namespace aarm::receipts;

namespace {

std::string FromHex(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

// A PKCS#8 PEM of the Ed25519 private key with this 32-byte seed.
std::string PemOfSeed(const std::string& seed_hex) {
  const std::string der = FromHex("302e020100300506032b657004220420" + seed_hex);
  return "-----BEGIN PRIVATE KEY-----\n" + Base64Encode(der) + "\n-----END PRIVATE KEY-----\n";
}

struct Vector {
  const char* seed;
  const char* public_key;
  const char* message;
  const char* signature;
};

// RFC 8032, section 7.1, tests 1 to 3.
const Vector kVectors[] = {
    {"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46b"
     "d25bf5f0595bbe24655141438e7a100b"},
    {"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c"
     "387b2eaeb4302aeeb00d291612bb0c00"},
    {"c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
     "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc659"
     "4a7c15e9716ed28dc027beceea1ec40a"},
};

bool OpensslAccepts(const std::string& public_raw, const std::string& message,
                    const std::string& signature) {
  EVP_PKEY* key = EVP_PKEY_new_raw_public_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(public_raw.data()),
      public_raw.size());
  EVP_MD_CTX* context = EVP_MD_CTX_new();
  bool ok = key && context &&
            EVP_DigestVerifyInit(context, nullptr, nullptr, nullptr, key) == 1 &&
            EVP_DigestVerify(context, reinterpret_cast<const unsigned char*>(signature.data()),
                             signature.size(),
                             reinterpret_cast<const unsigned char*>(message.data()),
                             message.size()) == 1;
  EVP_MD_CTX_free(context);
  EVP_PKEY_free(key);
  return ok;
}

}  // namespace

TEST_CASE("receipt signatures are RFC 8032's Ed25519, byte for byte", "[receipts]") {
  for (const Vector& vector : kVectors) {
    INFO("seed " << vector.seed);
    auto key = SigningKey::FromPem(PemOfSeed(vector.seed), "vector");
    REQUIRE(key);
    CHECK(*Base64Decode(key->PublicKeyBase64()) == FromHex(vector.public_key));
    auto signature = key->Sign(FromHex(vector.message));
    REQUIRE(signature);
    CHECK(*Base64Decode(*signature) == FromHex(vector.signature));
  }
}

TEST_CASE("OpenSSL's own check accepts what a session key signs", "[receipts]") {
  auto key = SigningKey::Generate();
  REQUIRE(key);
  const std::string public_raw = *Base64Decode(key->PublicKeyBase64());
  for (const std::string message : {std::string(), std::string(32, '\x5a'), std::string(1000, 'r')}) {
    auto signature = key->Sign(message);
    REQUIRE(signature);
    const std::string raw = *Base64Decode(*signature);
    CHECK(OpensslAccepts(public_raw, message, raw));
    std::string flipped = raw;
    flipped[10] = static_cast<char>(flipped[10] ^ 1);
    CHECK_FALSE(OpensslAccepts(public_raw, message, flipped));
  }
}
