#include "ed25519.hpp"

#include <sodium.h>

namespace aarm::receipts::detail {
namespace {

bool SodiumReady() {
  static const bool ready = sodium_init() >= 0;  // thread-safe, once
  return ready;
}

}  // namespace

static_assert(crypto_sign_SEEDBYTES == 32 && crypto_sign_PUBLICKEYBYTES == 32 &&
              crypto_sign_SECRETKEYBYTES == 64 && crypto_sign_BYTES == 64);

bool Ed25519Signer::Load(const Ed25519Seed& seed) {
  if (!SodiumReady()) return false;
  return crypto_sign_seed_keypair(public_.data(), expanded_.data(), seed.data()) == 0;
}

Ed25519Signer::~Ed25519Signer() { sodium_memzero(expanded_.data(), expanded_.size()); }

Ed25519Signature Ed25519Signer::Sign(std::string_view message) const {
  Ed25519Signature signature{};
  crypto_sign_detached(signature.data(), nullptr,
                       reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                       expanded_.data());
  return signature;
}

bool Ed25519Verify(const Ed25519PublicBytes& key, std::string_view message,
                   std::string_view signature) {
  if (signature.size() != crypto_sign_BYTES || !SodiumReady()) return false;
  return crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(signature.data()),
                                     reinterpret_cast<const unsigned char*>(message.data()),
                                     message.size(), key.data()) == 0;
}

}  // namespace aarm::receipts::detail
