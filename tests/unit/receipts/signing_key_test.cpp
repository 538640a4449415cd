#include <sys/stat.h>

#include <cstdlib>

#include "aarm/receipts/canonical.hpp"
#include "receipt_files.hpp"

using namespace aarm::receipts;
using namespace aarm::receipts::testing;

namespace {

constexpr char kEcPrivateKey[] = R"(-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg6PmOJ2diJqxcVnuz
aFRhp+xXfd7B7sajvd+7Do59+behRANCAATfRSiRfXVMi0JSPd7ApAblyBazKVZQ
VFKklgucjTdyG5fVC9W5wVSxok0xotF3oEio7yADFDwozvyZNRxlNY9B
-----END PRIVATE KEY-----
)";

constexpr char kEncryptedKey[] = R"(-----BEGIN ENCRYPTED PRIVATE KEY-----
MIGbMFcGCSqGSIb3DQEFDTBKMCkGCSqGSIb3DQEFDDAcBAhWVL3NKM7c1gICCAAw
DAYIKoZIhvcNAgkFADAdBglghkgBZQMEAQIEECFWOKo3shasHok87jS39zoEQNCF
rFY/W3kjIIgPbLw2bF2X2HA4tNZBwh28ldFqU55mZxd+QBJFRoTIofBo6evgMrLt
gMEvMOVovjwXLzl66Zk=
-----END ENCRYPTED PRIVATE KEY-----
)";

mode_t ModeOf(const std::string& path) {
  struct stat status {};
  REQUIRE(stat(path.c_str(), &status) == 0);
  return status.st_mode & 07777;
}

// Sets or clears an environment variable for the length of a scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value) {
      setenv(name, value->c_str(), 1);
    } else {
      unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      setenv(name_, old_->c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

}  // namespace

TEST_CASE("a generated key is unpinned, the same key loaded from a file is pinned", "[receipts]") {
  SigningKey key = NewKey();
  CHECK_FALSE(key.Pinned());
  auto raw = Base64Decode(key.PublicKeyBase64());
  REQUIRE(raw);
  CHECK(raw->size() == 32);

  TempDir dir;
  auto files = WriteKeyPair(key, dir.Path(), false);
  REQUIRE(files);
  auto loaded = SigningKey::Load(files->private_path);
  REQUIRE(loaded);
  CHECK(loaded->Pinned());
  CHECK(loaded->Origin() == files->private_path);
  CHECK(loaded->PublicKeyBase64() == key.PublicKeyBase64());
  auto pub = LoadPublicKey(files->public_path);
  REQUIRE(pub);
  CHECK(*pub == key.PublicKeyBase64());
  // Ed25519 is deterministic: both copies sign alike.
  CHECK(*loaded->Sign("digest") == *key.Sign("digest"));
}

TEST_CASE("bad key files are refused with one clear line each", "[receipts]") {
  TempDir dir;
  auto error_for = [&](const std::string& content) {
    WriteFile(dir / "key.pem", content);
    auto key = SigningKey::Load(dir / "key.pem");
    REQUIRE_FALSE(key);
    CHECK(key.error().message.find('\n') == std::string::npos);
    return key.error().message;
  };
  CHECK(error_for(kEcPrivateKey).find("EC key; receipts are signed with Ed25519") !=
        std::string::npos);
  CHECK(error_for(kEncryptedKey).find("encrypted private keys are not supported") !=
        std::string::npos);
  CHECK(error_for("hello\n").find("not a PEM private key") != std::string::npos);
  CHECK(error_for("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
            .find("malformed private key") != std::string::npos);
  auto pub_pem = NewKey().PublicPem();
  REQUIRE(pub_pem);
  CHECK(error_for(*pub_pem).find("this is a public key") != std::string::npos);

  auto missing = SigningKey::Load(dir / "absent.pem");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().sys_errno == ENOENT);
  CHECK(missing.error().Describe().find("absent.pem") != std::string::npos);

  WriteFile(dir / "key.pem", kEcPrivateKey);
  auto private_as_public = LoadPublicKey(dir / "key.pem");
  REQUIRE_FALSE(private_as_public);
  CHECK(private_as_public.error().message.find("this is a private key") != std::string::npos);
}

TEST_CASE("the signing key is resolved from --key, AARM_SIGNING_KEY, the config dir, or fresh",
          "[receipts]") {
  TempDir dir;
  SigningKey configured = NewKey();
  SigningKey from_env = NewKey();
  SigningKey explicit_key = NewKey();
  REQUIRE(WriteKeyPair(configured, dir / "config/aarm", false));
  REQUIRE(WriteKeyPair(from_env, dir / "env", false));
  REQUIRE(WriteKeyPair(explicit_key, dir / "explicit", false));

  std::string config_home = dir / "config";
  std::string env_key = dir / "env/signing-key.pem";
  ScopedEnv xdg("XDG_CONFIG_HOME", &config_home);
  {
    ScopedEnv env("AARM_SIGNING_KEY", &env_key);
    auto key = ResolveSigningKey(dir / "explicit/signing-key.pem");
    REQUIRE(key);
    CHECK(key->PublicKeyBase64() == explicit_key.PublicKeyBase64());
    key = ResolveSigningKey("");
    REQUIRE(key);
    CHECK(key->PublicKeyBase64() == from_env.PublicKeyBase64());
  }
  {
    ScopedEnv env("AARM_SIGNING_KEY", nullptr);
    auto key = ResolveSigningKey("");
    REQUIRE(key);
    CHECK(key->Pinned());
    CHECK(key->PublicKeyBase64() == configured.PublicKeyBase64());

    std::string empty_config = dir / "nothing-here";
    ScopedEnv no_config("XDG_CONFIG_HOME", &empty_config);
    key = ResolveSigningKey("");
    REQUIRE(key);
    CHECK_FALSE(key->Pinned());
  }
  {
    std::string missing = dir / "missing.pem";
    ScopedEnv env("AARM_SIGNING_KEY", &missing);
    CHECK_FALSE(ResolveSigningKey(""));  // named but absent: an error, not a fresh key
  }
}

TEST_CASE("keygen writes a private key only its owner reads and never overwrites unasked",
          "[receipts]") {
  TempDir dir;
  mode_t old_umask = umask(0);
  SigningKey first = NewKey();
  auto files = WriteKeyPair(first, dir / "new/aarm", false);
  umask(old_umask);
  REQUIRE(files);
  CHECK(ModeOf(files->private_path) == 0600);
  CHECK(ModeOf(files->public_path) == 0644);
  CHECK(ModeOf(dir / "new/aarm") == 0700);
  CHECK(ModeOf(dir / "new") == 0700);

  std::string before = ReadFile(files->private_path);
  auto refused = WriteKeyPair(NewKey(), dir / "new/aarm", false);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().sys_errno == EEXIST);
  CHECK(refused.error().message.find("signing-key.pem") != std::string::npos);
  CHECK(refused.error().hint.find("--force") != std::string::npos);
  CHECK(ReadFile(files->private_path) == before);

  // The public half alone also blocks: a pair is replaced whole or not at all.
  std::filesystem::remove(files->private_path);
  CHECK_FALSE(WriteKeyPair(NewKey(), dir / "new/aarm", false));

  SigningKey second = NewKey();
  REQUIRE(WriteKeyPair(second, dir / "new/aarm", true));
  auto reloaded = SigningKey::Load(files->private_path);
  REQUIRE(reloaded);
  CHECK(reloaded->PublicKeyBase64() == second.PublicKeyBase64());
  CHECK(*LoadPublicKey(files->public_path) == second.PublicKeyBase64());
  CHECK(ModeOf(files->private_path) == 0600);
}
