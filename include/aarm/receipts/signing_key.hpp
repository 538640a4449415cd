// Ed25519 keys for receipts. The private key never leaves this module except as PEM written by
// WriteKeyPair; OpenSSL is confined to src/receipts/.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "aarm/base/error.hpp"

namespace aarm::receipts {

class SigningKey {
 public:
  // A fresh key pair. Pinned() is false: nobody can know its public half in advance.
  static Result<SigningKey> Generate();
  // An unencrypted PKCS#8 PEM Ed25519 private key (what `aarm keygen` writes). Pinned() is
  // true. Errors are one line naming `path`: unreadable, not a PEM private key, encrypted, or a
  // key of another algorithm.
  static Result<SigningKey> Load(const std::string& path);
  static Result<SigningKey> FromPem(std::string_view pem, const std::string& origin);

  SigningKey(SigningKey&&) noexcept;
  SigningKey& operator=(SigningKey&&) noexcept;
  ~SigningKey();

  // The raw 32-byte public key, base64 (the `key.pub` of a session.start receipt).
  const std::string& PublicKeyBase64() const;
  // True for a key loaded from a file, which a verifier can pin with `aarm verify --key`.
  bool Pinned() const;
  // The file the key came from, or "a fresh session key".
  const std::string& Origin() const;

  // Ed25519 signature of `message` (for receipts, the 32 raw bytes of the record's digest),
  // base64.
  Result<std::string> Sign(std::string_view message) const;

  Result<std::string> PrivatePem() const;
  Result<std::string> PublicPem() const;

 private:
  struct State;
  explicit SigningKey(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

// The key aarm-run signs with: `explicit_path` when not empty, else the file named by
// $AARM_SIGNING_KEY, else $XDG_CONFIG_HOME/aarm/signing-key.pem when it exists, else a fresh key
// (Pinned() false: the caller warns that the session's key is not pinned).
Result<SigningKey> ResolveSigningKey(const std::string& explicit_path);

// The default key file: $XDG_CONFIG_HOME/aarm/signing-key.pem.
std::string DefaultSigningKeyPath();

// The raw public key, base64, from a PEM public key file (signing-key.pub.pem). A private key
// file is refused, so that verifying never needs the secret.
Result<std::string> LoadPublicKey(const std::string& path);
Result<std::string> PublicKeyFromPem(std::string_view pem, const std::string& origin);

struct KeyPairFiles {
  std::string private_path;  // DIR/signing-key.pem, mode 0600
  std::string public_path;   // DIR/signing-key.pub.pem, mode 0644
};

// Writes `key` into `dir` (created 0700 with its missing parents). Refuses to replace an existing
// file unless `force`; each file is written to a temporary name and renamed into place.
Result<KeyPairFiles> WriteKeyPair(const SigningKey& key, const std::string& dir, bool force);

}  // namespace aarm::receipts
