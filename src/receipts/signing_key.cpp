#include "aarm/receipts/signing_key.hpp"

#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

#include "aarm/base/paths.hpp"
#include "aarm/base/unique_fd.hpp"
#include "aarm/receipts/canonical.hpp"
#include "crypto.hpp"
#include "ed25519.hpp"
#include "file_util.hpp"

namespace aarm::receipts {

using detail::PkeyPtr;

namespace {

constexpr size_t kMaxKeyFileBytes = 64 * 1024;

struct BioDeleter {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
using BioPtr = std::unique_ptr<BIO, BioDeleter>;

// Refuses to ask for a passphrase: aarm runs unattended and never prompts for key material.
int NoPassphrase(char*, int, int, void*) { return -1; }

BioPtr MemoryBio(std::string_view text) {
  return BioPtr(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

Result<std::string> BioContent(BIO* bio) {
  char* data = nullptr;
  long length = BIO_get_mem_data(bio, &data);
  if (length <= 0 || data == nullptr)
    return Fail("cannot encode key: " + detail::TakeOpensslError());
  return std::string(data, static_cast<size_t>(length));
}

Result<void> CheckEd25519(EVP_PKEY* key, const std::string& origin) {
  if (EVP_PKEY_get_id(key) == EVP_PKEY_ED25519) return {};
  const char* type = EVP_PKEY_get0_type_name(key);
  return Fail(origin + ": " + (type ? type : "unknown") + " key; receipts are signed with Ed25519",
              "create one with: aarm keygen");
}

Result<std::string> ReadKeyFile(const std::string& path, const char* what) {
  auto pem = detail::ReadSmallFile(path, kMaxKeyFileBytes);
  if (!pem) pem.error().message = std::string(what) + ": " + pem.error().message;
  return pem;
}

enum class KeyHalf { kPrivate, kPublic };

// The Ed25519 key in a PEM text already known to hold the `half` asked for.
Result<PkeyPtr> DecodeEd25519(std::string_view pem, const std::string& origin, KeyHalf half) {
  BioPtr bio = MemoryBio(pem);
  PkeyPtr key;
  if (bio && half == KeyHalf::kPrivate) {
    key.reset(PEM_read_bio_PrivateKey(bio.get(), nullptr, &NoPassphrase, nullptr));
  } else if (bio) {
    key.reset(PEM_read_bio_PUBKEY(bio.get(), nullptr, &NoPassphrase, nullptr));
  }
  if (!key) {
    return Fail(origin + ": malformed " + (half == KeyHalf::kPrivate ? "private" : "public") +
                " key (" + detail::TakeOpensslError() + ")");
  }
  if (auto ed25519 = CheckEd25519(key.get(), origin); !ed25519) {
    return tl::unexpected(ed25519.error());
  }
  return key;
}

std::string Temporary(const std::string& path) { return path + ".tmp-" + std::to_string(getpid()); }

Result<void> WriteFileAtomically(const std::string& path, const std::string& content, mode_t mode) {
  std::string temporary = Temporary(path);
  unlink(temporary.c_str());
  UniqueFd fd(open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode));
  if (!fd) return FailErrno("cannot create " + temporary);
  // The mode given to open() is masked by the umask; the key's must not be.
  if (fchmod(fd.Get(), mode) != 0) return FailErrno("cannot set the mode of " + temporary);
  auto written = detail::WriteAll(fd.Get(), content, temporary);
  if (written && fsync(fd.Get()) != 0) written = FailErrno("cannot write " + temporary);
  if (!written || rename(temporary.c_str(), path.c_str()) != 0) {
    Error error = written ? Error{"cannot create " + path, errno, {}} : written.error();
    unlink(temporary.c_str());
    return tl::unexpected(error);
  }
  return {};
}

// Prepares `signer` from `key`'s seed, checked to derive the public key OpenSSL reads (returned,
// raw).
Result<std::string> LoadSigner(EVP_PKEY* key, detail::Ed25519Signer& signer) {
  detail::Ed25519Seed seed{};
  size_t length = seed.size();
  bool read = EVP_PKEY_get_raw_private_key(key, seed.data(), &length) == 1 &&
              length == seed.size();
  bool loaded = read && signer.Load(seed);
  OPENSSL_cleanse(seed.data(), seed.size());
  if (!read) return Fail("cannot read the Ed25519 private key: " + detail::TakeOpensslError());
  std::string public_raw = detail::RawPublicKey(key);
  const auto& derived = signer.PublicBytes();
  if (!loaded || public_raw != std::string(derived.begin(), derived.end())) {
    return Fail("cannot prepare the Ed25519 key for signing");
  }
  return public_raw;
}

}  // namespace

struct SigningKey::State {
  PkeyPtr key;
  std::string public_base64;
  bool pinned = false;
  std::string origin;
  detail::Ed25519Signer signer;
};

SigningKey::SigningKey(std::unique_ptr<State> state) : state_(std::move(state)) {}
SigningKey::SigningKey(SigningKey&&) noexcept = default;
SigningKey& SigningKey::operator=(SigningKey&&) noexcept = default;
SigningKey::~SigningKey() = default;

const std::string& SigningKey::PublicKeyBase64() const { return state_->public_base64; }
bool SigningKey::Pinned() const { return state_->pinned; }
const std::string& SigningKey::Origin() const { return state_->origin; }

Result<SigningKey> SigningKey::Generate() {
  PkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  if (!key) return Fail("cannot generate an Ed25519 key: " + detail::TakeOpensslError());
  auto state = std::make_unique<State>();
  auto public_raw = LoadSigner(key.get(), state->signer);
  if (!public_raw) return tl::unexpected(public_raw.error());
  state->public_base64 = Base64Encode(*public_raw);
  state->key = std::move(key);
  state->pinned = false;
  state->origin = "a fresh session key";
  return SigningKey(std::move(state));
}

Result<SigningKey> SigningKey::FromPem(std::string_view pem, const std::string& origin) {
  if (pem.find("-----BEGIN ENCRYPTED PRIVATE KEY-----") != std::string_view::npos) {
    return Fail(origin + ": encrypted private keys are not supported",
                "aarm signs unattended; protect the key with file permissions instead");
  }
  if (pem.find("PRIVATE KEY-----") == std::string_view::npos) {
    if (pem.find("-----BEGIN PUBLIC KEY-----") != std::string_view::npos) {
      return Fail(origin +
                  ": this is a public key; signing needs the private key "
                  "(signing-key.pem)");
    }
    return Fail(origin + ": not a PEM private key");
  }
  auto key = DecodeEd25519(pem, origin, KeyHalf::kPrivate);
  if (!key) return tl::unexpected(key.error());
  auto state = std::make_unique<State>();
  auto public_raw = LoadSigner(key->get(), state->signer);
  if (!public_raw) return Fail(origin + ": " + public_raw.error().message);
  state->public_base64 = Base64Encode(*public_raw);
  state->key = std::move(*key);
  state->pinned = true;
  state->origin = origin;
  return SigningKey(std::move(state));
}

Result<SigningKey> SigningKey::Load(const std::string& path) {
  return ReadKeyFile(path, "signing key").and_then([&](const std::string& pem) {
    return FromPem(pem, path);
  });
}

Result<std::string> SigningKey::Sign(std::string_view message) const {
  detail::Ed25519Signature signature = state_->signer.Sign(message);
  return Base64Encode(std::string_view(reinterpret_cast<const char*>(signature.data()),
                                       signature.size()));
}

Result<std::string> SigningKey::PrivatePem() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), state_->key.get(), nullptr, nullptr, 0, nullptr,
                                       nullptr) != 1) {
    return Fail("cannot encode the private key: " + detail::TakeOpensslError());
  }
  return BioContent(bio.get());
}

Result<std::string> SigningKey::PublicPem() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), state_->key.get()) != 1) {
    return Fail("cannot encode the public key: " + detail::TakeOpensslError());
  }
  return BioContent(bio.get());
}

std::string DefaultSigningKeyPath() { return XdgConfigHome() + "/aarm/signing-key.pem"; }

Result<SigningKey> ResolveSigningKey(const std::string& explicit_path) {
  if (!explicit_path.empty()) return SigningKey::Load(explicit_path);
  if (const char* from_env = std::getenv("AARM_SIGNING_KEY"); from_env && *from_env) {
    return SigningKey::Load(from_env);
  }
  std::string fallback = DefaultSigningKeyPath();
  if (access(fallback.c_str(), F_OK) == 0) return SigningKey::Load(fallback);
  return SigningKey::Generate();
}

Result<std::string> PublicKeyFromPem(std::string_view pem, const std::string& origin) {
  if (pem.find("PRIVATE KEY-----") != std::string_view::npos) {
    return Fail(origin + ": this is a private key; verifying needs only the public key",
                "pass signing-key.pub.pem, and keep signing-key.pem where only aarm-run reads it");
  }
  if (pem.find("-----BEGIN PUBLIC KEY-----") == std::string_view::npos) {
    return Fail(origin + ": not a PEM public key");
  }
  auto key = DecodeEd25519(pem, origin, KeyHalf::kPublic);
  if (!key) return tl::unexpected(key.error());
  return Base64Encode(detail::RawPublicKey(key->get()));
}

Result<std::string> LoadPublicKey(const std::string& path) {
  return ReadKeyFile(path, "public key").and_then([&](const std::string& pem) {
    return PublicKeyFromPem(pem, path);
  });
}

Result<KeyPairFiles> WriteKeyPair(const SigningKey& key, const std::string& dir, bool force) {
  KeyPairFiles files{dir + "/signing-key.pem", dir + "/signing-key.pub.pem"};
  if (!force) {
    for (const std::string& path : {files.private_path, files.public_path}) {
      struct stat status {};
      if (lstat(path.c_str(), &status) == 0) {
        return tl::unexpected(Error{"refusing to replace " + path, EEXIST,
                                    "use --force to replace the key pair (receipts signed by the "
                                    "old key then verify only with its public key)"});
      }
    }
  }
  if (auto created = detail::MakeDirectories(dir, 0700); !created) {
    return tl::unexpected(created.error());
  }
  auto private_pem = key.PrivatePem();
  if (!private_pem) return tl::unexpected(private_pem.error());
  auto public_pem = key.PublicPem();
  if (!public_pem) return tl::unexpected(public_pem.error());
  // The private half first: a public key without its private key is useless but harmless.
  if (auto written = WriteFileAtomically(files.private_path, *private_pem, 0600); !written) {
    return tl::unexpected(written.error());
  }
  if (auto written = WriteFileAtomically(files.public_path, *public_pem, 0644); !written) {
    return tl::unexpected(written.error());
  }
  return files;
}

}  // namespace aarm::receipts
