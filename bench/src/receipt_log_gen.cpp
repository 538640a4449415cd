// Writes one session of N action receipts through the receipt log aarm-run uses (SessionLog:
// canonical form, SHA-256 chain, Ed25519 signature, one O_APPEND write per record, a sync at
// least once a second), shaped like the file actions aarm-run records. Times the appends and
// prints "records N NS_PER_RECORD CPU_NS_PER_RECORD", the cost of recording alone, without any
// mediation: wall time, and the process's CPU time (user and system), which is what
// `openssl speed` divides by and what other work on the machine does not inflate.
//
// With --raw, times N bare Ed25519 signatures and N checks by the signer aarm uses (libsodium,
// through SigningKey::Sign and the verifier's check) and prints "raw SIGNS_PER_CPU_S
// CHECKS_PER_CPU_S": what a record's signature and its check cost at the least, the baseline
// the log and `aarm verify` are judged against.
//
// usage: receipt_log_gen KEY.pem OUT.jsonl N
//        receipt_log_gen --raw KEY.pem N
#include <time.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

#include "aarm/receipts/canonical.hpp"
#include "aarm/receipts/session_log.hpp"
#include "aarm/receipts/signing_key.hpp"
#include "../../src/receipts/ed25519.hpp"
#include "positive_argument.h"

namespace {

int Fail(const std::string& what, const aarm::Error& error) {
  std::fprintf(stderr, "receipt_log_gen: %s: %s\n", what.c_str(), error.Describe().c_str());
  return 1;
}

double CpuSeconds() {
  timespec now{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}

int RawSignatures(const char* key_path, long count) {
  auto key = aarm::receipts::SigningKey::Load(key_path);
  if (!key) return Fail("key", key.error());
  auto public_raw = aarm::receipts::Base64Decode(key->PublicKeyBase64());
  if (!public_raw || public_raw->size() != 32) return 1;
  aarm::receipts::detail::Ed25519PublicBytes public_key{};
  std::copy(public_raw->begin(), public_raw->end(), public_key.begin());
  // A record signs the 32 bytes of its digest.
  std::string digest(32, '\x42');
  std::string signature;
  double begin = CpuSeconds();
  for (long i = 0; i < count; ++i) {
    digest[i % 32] = static_cast<char>(i);
    signature = *key->Sign(digest);
  }
  double signing = CpuSeconds() - begin;
  auto raw_signature = *aarm::receipts::Base64Decode(signature);
  long accepted = 0;
  begin = CpuSeconds();
  for (long i = 0; i < count; ++i) {
    accepted += aarm::receipts::detail::Ed25519Verify(public_key, digest, raw_signature);
  }
  double checking = CpuSeconds() - begin;
  if (accepted != count) {
    std::fprintf(stderr, "receipt_log_gen: a signature did not check\n");
    return 1;
  }
  std::printf("raw %.1f %.1f\n", static_cast<double>(count) / signing,
              static_cast<double>(count) / checking);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr,
                 "usage: receipt_log_gen KEY.pem OUT.jsonl N\n"
                 "       receipt_log_gen --raw KEY.pem N\n");
    return 2;
  }
  const long count = PositiveArgument(argv[3], LONG_MAX);
  if (count < 0) {
    std::fprintf(stderr, "receipt_log_gen: N must be a positive number, not '%s'\n", argv[3]);
    return 2;
  }
  if (std::string(argv[1]) == "--raw") return RawSignatures(argv[2], count);
  auto key = aarm::receipts::SigningKey::Load(argv[1]);
  if (!key) return Fail("key", key.error());
  const std::string session = "6f1c1a52-8f0e-4d5e-9a59-3c2b8d7e4f10";
  auto log = aarm::receipts::SessionLog::Open(argv[2], std::move(*key), session);
  if (!log) return Fail("log", log.error());

  const std::string profile_text = "version = 1\n[session]\ndefault = \"allow\"\n";
  aarm::receipts::ProfileRecord profile{"bench", aarm::receipts::Sha256Hex(profile_text),
                                        profile_text};
  nlohmann::json identity = {
      {"human", {{"uid", 1000}, {"user", "dev"}}},
      {"agent", {{"name", "make"}, {"argv", {"make", "-j2"}}}},
      {"host", "bench"},
      {"session", session},
  };
  if (auto started = log->Start(identity, profile, "build the project", {}); !started) {
    return Fail("session.start", started.error());
  }

  timespec cpu_begin{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu_begin);
  auto begin = std::chrono::steady_clock::now();
  for (long i = 0; i < count; ++i) {
    nlohmann::json action = {
        {"kind", i % 4 == 0 ? "file.create" : "file.read"},
        {"path", "/home/dev/project/src/module" + std::to_string(i % 40) + "/unit" +
                     std::to_string(i) + ".c"},
        {"flags", i % 4 == 0 ? 0x80241 : 0x80000},
        {"process",
         {{"pid", 4000 + i % 97}, {"exe", "/usr/lib/gcc/x86_64-linux-gnu/12/cc1"},
          {"ppids", {3990 + i % 7, 3001, 3000}}}},
    };
    nlohmann::json decision = {{"verdict", "allow"},
                               {"rule", ""},
                               {"reason", "session default"},
                               {"profile_sha256", profile.sha256},
                               {"by", "policy"}};
    auto recorded = log->RecordAction(std::move(action), nlohmann::json::object(),
                                      std::move(decision), {{"ok", true}});
    if (!recorded) return Fail("action", recorded.error());
  }
  auto elapsed = std::chrono::steady_clock::now() - begin;
  timespec cpu_end{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu_end);
  double cpu_ns = static_cast<double>(cpu_end.tv_sec - cpu_begin.tv_sec) * 1e9 +
                  static_cast<double>(cpu_end.tv_nsec - cpu_begin.tv_nsec);

  if (auto ended = log->End({0, std::nullopt}, {}); !ended) {
    return Fail("session.end", ended.error());
  }
  double ns = std::chrono::duration<double, std::nano>(elapsed).count();
  std::printf("records %ld %.1f %.1f\n", count, ns / static_cast<double>(count),
              cpu_ns / static_cast<double>(count));
  return 0;
}
