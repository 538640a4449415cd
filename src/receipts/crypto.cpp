#include "crypto.hpp"

#include <openssl/err.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "ed25519.hpp"

namespace aarm::receipts::detail {
namespace {

struct MdDeleter {
  void operator()(EVP_MD* md) const { EVP_MD_free(md); }
};

// A digest that cannot be computed leaves nothing to record or check: the process stops rather
// than chain records to a hash it never computed.
[[noreturn]] void Sha256Unavailable() {
  std::fprintf(stderr, "aarm: OpenSSL cannot compute SHA-256: %s\n", TakeOpensslError().c_str());
  std::abort();
}

// The SHA-256 implementation is fetched once, and each thread reuses one context: OpenSSL 3
// would otherwise look the algorithm up and allocate a context for every record.
EVP_MD_CTX* Sha256Context() {
  static const std::unique_ptr<EVP_MD, MdDeleter> kSha256(EVP_MD_fetch(nullptr, "SHA256", nullptr));
  thread_local const MdContextPtr context(EVP_MD_CTX_new());
  if (!kSha256 || !context || EVP_DigestInit_ex2(context.get(), kSha256.get(), nullptr) != 1) {
    Sha256Unavailable();
  }
  return context.get();
}

}  // namespace

Digest Sha256(std::string_view data) { return Sha256(std::span<const std::string_view>(&data, 1)); }

Digest Sha256(std::span<const std::string_view> parts) {
  EVP_MD_CTX* context = Sha256Context();
  for (std::string_view part : parts) {
    if (EVP_DigestUpdate(context, part.data(), part.size()) != 1) Sha256Unavailable();
  }
  Digest digest{};
  unsigned int length = 0;
  if (EVP_DigestFinal_ex(context, digest.data(), &length) != 1 || length != digest.size()) {
    Sha256Unavailable();
  }
  return digest;
}

void HexTo(const Digest& digest, char* out) {
  static constexpr char kHexDigits[] = "0123456789abcdef";
  for (size_t i = 0; i < digest.size(); ++i) {
    out[2 * i] = kHexDigits[digest[i] >> 4];
    out[2 * i + 1] = kHexDigits[digest[i] & 0x0f];
  }
}

std::string Hex(const Digest& digest) {
  std::string hex(2 * digest.size(), '0');
  HexTo(digest, hex.data());
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

bool SignatureChecker::Verify(EVP_PKEY* key, std::string_view message,
                              std::string_view signature) {
  if (key != key_.get()) {
    std::string raw = RawPublicKey(key);
    if (raw.size() != key_bytes_.size() || EVP_PKEY_up_ref(key) != 1) {
      key_.reset();
      return false;
    }
    key_.reset(key);
    std::copy(raw.begin(), raw.end(), key_bytes_.begin());
  }
  return Ed25519Verify(key_bytes_, message, signature);
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
