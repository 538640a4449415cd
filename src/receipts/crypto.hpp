// OpenSSL primitives behind the receipts API. Private to src/receipts/.
#pragma once

#include <openssl/evp.h>

#include <array>
#include <memory>
#include <string>
#include <string_view>

namespace aarm::receipts::detail {

struct PkeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

using Digest = std::array<unsigned char, 32>;
Digest Sha256(std::string_view data);
std::string Hex(const Digest& digest);

// An Ed25519 public key from its 32 raw bytes; null when the bytes are not one.
PkeyPtr Ed25519PublicKey(std::string_view raw);
// The 32 raw public bytes of an Ed25519 key.
std::string RawPublicKey(EVP_PKEY* key);
// True when `signature` (raw, 64 bytes) is `key`'s Ed25519 signature of `message`.
bool VerifyEd25519(EVP_PKEY* key, std::string_view message, std::string_view signature);
// The last OpenSSL error as text, emptying OpenSSL's error queue of this thread.
std::string TakeOpensslError();

}  // namespace aarm::receipts::detail
