#include "crypto.hpp"

#include <openssl/err.h>
#include <openssl/sha.h>

#include <fmt/format.h>

namespace aarm::receipts::detail {

Digest Sha256(std::string_view data) {
  Digest digest{};
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest.data());
  return digest;
}

std::string Hex(const Digest& digest) {
  static constexpr char kHexDigits[] = "0123456789abcdef";
  std::string hex(2 * digest.size(), '0');
  for (size_t i = 0; i < digest.size(); ++i) {
    hex[2 * i] = kHexDigits[digest[i] >> 4];
    hex[2 * i + 1] = kHexDigits[digest[i] & 0x0f];
  }
  return hex;
}

PkeyPtr Ed25519PublicKey(std::string_view raw) {
  if (raw.size() != 32) return nullptr;
  PkeyPtr key(EVP_PKEY_new_raw_public_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(raw.data()), raw.size()));
  if (!key) ERR_clear_error();
  return key;
}

std::string RawPublicKey(EVP_PKEY* key) {
  std::string raw(32, '\0');
  size_t length = raw.size();
  if (EVP_PKEY_get_raw_public_key(key, reinterpret_cast<unsigned char*>(raw.data()), &length) !=
          1 ||
      length != raw.size()) {
    ERR_clear_error();
    return {};
  }
  return raw;
}

bool VerifyEd25519(EVP_PKEY* key, std::string_view message, std::string_view signature) {
  if (signature.size() != 64) return false;
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(),
                                                                  &EVP_MD_CTX_free);
  bool valid =
      context && EVP_DigestVerifyInit(context.get(), nullptr, nullptr, nullptr, key) == 1 &&
      EVP_DigestVerify(context.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                       signature.size(), reinterpret_cast<const unsigned char*>(message.data()),
                       message.size()) == 1;
  if (!valid) ERR_clear_error();
  return valid;
}

std::string TakeOpensslError() {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown OpenSSL error";
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return text;
}

}  // namespace aarm::receipts::detail
