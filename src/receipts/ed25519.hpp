// Ed25519 signatures by libsodium, whose implementation signs and checks about twice as fast as
// OpenSSL 3.0's on the machines measured (bench/receipts.sh): a signature is most of what
// recording an action costs, and a check most of what `aarm verify` does. Signatures are the
// same bytes either way (RFC 8032 signing is deterministic); OpenSSL still reads and writes the
// PEM keys and computes SHA-256.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace aarm::receipts::detail {

using Ed25519Seed = std::array<unsigned char, 32>;
using Ed25519PublicBytes = std::array<unsigned char, 32>;
using Ed25519Signature = std::array<unsigned char, 64>;

// A private key expanded once for signing. Its bytes are wiped when it goes.
class Ed25519Signer {
 public:
  // From the 32-byte seed an Ed25519 private key is; false when libsodium cannot start.
  bool Load(const Ed25519Seed& seed);
  Ed25519Signer() = default;
  Ed25519Signer(const Ed25519Signer&) = delete;
  Ed25519Signer& operator=(const Ed25519Signer&) = delete;
  ~Ed25519Signer();

  const Ed25519PublicBytes& PublicBytes() const { return public_; }
  // Safe from several threads at once.
  Ed25519Signature Sign(std::string_view message) const;

 private:
  std::array<unsigned char, 64> expanded_{};
  Ed25519PublicBytes public_{};
};

// True when `signature` is the key's signature of `message`. Stricter than OpenSSL on crafted
// input (a non-canonical or small-order key or R is refused), never more lenient.
bool Ed25519Verify(const Ed25519PublicBytes& key, std::string_view message,
                   std::string_view signature);

}  // namespace aarm::receipts::detail
