// OpenSSL primitives behind the receipts API. Private to src/receipts/.
#pragma once

#include <openssl/evp.h>

#include <array>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace aarm::receipts::detail {

struct PkeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

struct MdContextDeleter {
  void operator()(EVP_MD_CTX* context) const { EVP_MD_CTX_free(context); }
};
using MdContextPtr = std::unique_ptr<EVP_MD_CTX, MdContextDeleter>;

using Digest = std::array<unsigned char, 32>;
Digest Sha256(std::string_view data);
// SHA-256 of the concatenation of `parts`.
Digest Sha256(std::span<const std::string_view> parts);
std::string Hex(const Digest& digest);
// Writes the 64 lowercase hex digits of `digest` to `out`.
void HexTo(const Digest& digest, char* out);

// An Ed25519 public key from its 32 raw bytes; null when the bytes are not one.
PkeyPtr Ed25519PublicKey(std::string_view raw);
// The 32 raw public bytes of an Ed25519 key.
std::string RawPublicKey(EVP_PKEY* key);

// Checks Ed25519 signatures by the last key used, whose raw bytes it keeps instead of reading
// them from the key for every signature. Not shared between threads: each checking thread has
// its own.
class SignatureChecker {
 public:
  // True when `signature` (raw, 64 bytes) is `key`'s Ed25519 signature of `message`.
  bool Verify(EVP_PKEY* key, std::string_view message, std::string_view signature);

 private:
  // Holds a reference to the key whose bytes are kept, so that its address cannot be freed and
  // reused by another key while they are compared.
  PkeyPtr key_;
  std::array<unsigned char, 32> key_bytes_{};
};

// The last OpenSSL error as text, emptying OpenSSL's error queue of this thread.
std::string TakeOpensslError();

}  // namespace aarm::receipts::detail
