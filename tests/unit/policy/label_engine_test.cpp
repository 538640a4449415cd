// Engine::LabelOf and Engine::IsCountedRead: which label data carries, and which reads the
// receipts only count.
#include <catch2/catch.hpp>

#include <time.h>

#include <cstdint>
#include <string>

#include "aarm/policy/engine.hpp"
#include "aarm/policy/profile.hpp"
#include "unit/policy/engine_test_support.hpp"
#include "unit/policy/policy_test_support.hpp"

using aarm::policy::ActionKind;
using aarm::policy::Engine;
using aarm::policy::LabelSpec;
using aarm::policy::LoadProfile;
using aarm::policy::Profile;
using aarm::policy::RecordReads;
using aarm::policy::testing::FileAction;
using aarm::policy::testing::kTestVariables;
using aarm::policy::testing::MustCompile;
using aarm::policy::testing::Patterns;
using aarm::policy::testing::ShippedDir;

namespace {

LabelSpec MakeLabel(std::string name, std::initializer_list<std::string> paths) {
  LabelSpec label;
  label.name = std::move(name);
  label.paths = Patterns(paths);
  label.where = {"/test.toml", 1, 1};
  return label;
}

Profile Labelled() {
  Profile profile;
  profile.labels = {MakeLabel("public", {"/usr/**", "/lib/**", "{project}/vendor/**"}),
                    MakeLabel("secret", {"**/.env", "{home}/.netrc", "/usr/**/*.pem"}),
                    MakeLabel("customer", {"/srv/customers/**", "**/.env"})};
  return profile;
}

}  // namespace

TEST_CASE("LabelOf: the first label other than public, then public, then unclassified",
          "[policy][label]") {
  const Engine engine = MustCompile(Labelled());
  CHECK(engine.LabelOf("/usr/lib/libc.so.6") == "public");
  CHECK(engine.LabelOf("/usr") == "public");  // dir/** is dir and everything below it
  CHECK(engine.LabelOf("/lib/x86_64-linux-gnu/ld.so") == "public");
  CHECK(engine.LabelOf("/work/project/vendor/lib.c") == "public");  // variables expanded
  CHECK(engine.LabelOf("/home/user/.netrc") == "secret");
  CHECK(engine.LabelOf("/srv/customers/acme.csv") == "customer");
  // Covered by several labels: the first that is not public, in the profile's order.
  CHECK(engine.LabelOf("/work/project/.env") == "secret");
  CHECK(engine.LabelOf("/usr/share/app/.env") == "secret");
  CHECK(engine.LabelOf("/usr/share/certs/ca.pem") == "secret");
  // Nothing covers it: unclassified, secret by default.
  CHECK(engine.LabelOf("/work/project/main.c") == "secret");
  CHECK(engine.LabelOf("/etc/passwd") == "secret");
  CHECK(engine.LabelOf("/usrx/lib") == "secret");
}

TEST_CASE("LabelOf normalises the path before matching", "[policy][label]") {
  const Engine engine = MustCompile(Labelled());
  CHECK(engine.LabelOf("/usr/lib/../lib/./libc.so.6") == "public");
  CHECK(engine.LabelOf("/usr/../etc/passwd") == "secret");
  CHECK(engine.LabelOf("//usr//lib") == "public");
  // What is not absolute matches no pattern.
  CHECK(engine.LabelOf("usr/lib/libc.so.6") == "secret");
  CHECK(engine.LabelOf("") == "secret");
}

TEST_CASE("LabelOf: '**' anywhere in a label's paths", "[policy][label]") {
  Profile profile;
  profile.labels = {MakeLabel("tail", {"/**/x/y"}), MakeLabel("middle", {"/a/**/b/**/c/d"}),
                    MakeLabel("two", {"/**/m/**/n"}), MakeLabel("below", {"/k/**"})};
  const Engine engine = MustCompile(profile);
  for (const char* path : {"/x/y", "/q/x/y", "/q/r/x/y"}) {
    INFO(path);
    CHECK(engine.LabelOf(path) == "tail");
  }
  for (const char* path : {"/a/b/c/d", "/a/q/b/r/s/c/d", "/a/b/d/c/d", "/a/b/b/c/d"}) {
    INFO(path);
    CHECK(engine.LabelOf(path) == "middle");
  }
  for (const char* path : {"/m/n", "/z/m/q/n", "/m/m/n/n"}) {
    INFO(path);
    CHECK(engine.LabelOf(path) == "two");
  }
  for (const char* path : {"/k", "/k/l", "/k/l/m"}) {
    INFO(path);
    CHECK(engine.LabelOf(path) == "below");
  }
  for (const char* path : {"/x/y/z", "/y", "/x", "/a/c/d", "/a/b/c/d/e", "/a/b/c", "/n/m", "/m",
                           "/kk", "/", "/q/x"}) {
    INFO(path);
    CHECK(engine.LabelOf(path) == "secret");
  }
}

TEST_CASE("session.unclassified names the label of data no label covers", "[policy][label]") {
  Profile profile = Labelled();
  profile.session.unclassified = "customer";
  CHECK(MustCompile(profile).LabelOf("/etc/passwd") == "customer");
  profile.session.unclassified = "public";
  const Engine open = MustCompile(profile);
  CHECK(open.LabelOf("/etc/passwd") == "public");
  CHECK(open.IsCountedRead(FileAction(ActionKind::kFileRead, "/etc/passwd")));
  // A label other than public still holds.
  CHECK(open.LabelOf("/srv/customers/a") == "customer");
}

TEST_CASE("IsCountedRead: reads of public data while record_reads is sensitive",
          "[policy][label]") {
  Profile profile = Labelled();
  const Engine engine = MustCompile(profile);
  CHECK(engine.IsCountedRead(FileAction(ActionKind::kFileRead, "/usr/lib/libc.so.6")));
  CHECK(engine.IsCountedRead(FileAction(ActionKind::kFileRead, "/usr/lib/x/../libc.so.6")));
  CHECK_FALSE(engine.IsCountedRead(FileAction(ActionKind::kFileRead, "/usr/share/app/.env")));
  CHECK_FALSE(engine.IsCountedRead(FileAction(ActionKind::kFileRead, "/work/project/main.c")));
  // Only reads: writing or creating public data is recorded like anything else.
  for (ActionKind kind : {ActionKind::kFileWrite, ActionKind::kFileCreate, ActionKind::kFileDelete,
                          ActionKind::kFileChmod, ActionKind::kProcessExec}) {
    CHECK_FALSE(engine.IsCountedRead(FileAction(kind, "/usr/lib/libc.so.6")));
  }

  profile.session.record_reads = RecordReads::kAll;
  CHECK_FALSE(MustCompile(profile).IsCountedRead(
      FileAction(ActionKind::kFileRead, "/usr/lib/libc.so.6")));

  // Without labels nothing is public: every read is recorded.
  CHECK_FALSE(MustCompile(Profile{}).IsCountedRead(
      FileAction(ActionKind::kFileRead, "/usr/lib/libc.so.6")));
}

TEST_CASE("Compile reports a label path it cannot expand at its place", "[policy][label]") {
  Profile profile;
  LabelSpec label = MakeLabel("public", {"{project}/x/**"});
  label.paths[0].where = {"/p.toml", 7, 12};
  profile.labels = {label};
  aarm::policy::PathVariables variables = kTestVariables;
  variables.project = "";
  auto engine = Engine::Compile(profile, variables);
  REQUIRE_FALSE(engine.has_value());
  CHECK(engine.error().message.rfind("/p.toml:7:12: label.paths entry '{project}/x/**'", 0) == 0);
}

TEST_CASE("LabelOf under the default profile stays cheap", "[policy][label]") {
  auto profile = LoadProfile("default", ShippedDir());
  REQUIRE(profile.has_value());
  const Engine engine = MustCompile(*profile);
  CHECK(engine.LabelOf("/usr/lib/x86_64-linux-gnu/libc.so.6") == "public");
  CHECK(engine.LabelOf("/home/user/.ssh/id_rsa") == "secret");
  CHECK(engine.LabelOf("/work/project/src/main.c") == "secret");
  CHECK(engine.LabelOf("/etc/ssl/certs/ca-certificates.crt") == "public");
  CHECK(engine.LabelOf("/etc/ssl/private/host.key") == "secret");
  // Every open asks: a deep path through every pattern of the shipped labels, well under the
  // microseconds a mediated open costs.
  const std::string deep = "/usr/lib/python3/dist-packages/a/b/c/d/e/f/g/module.cpython.so";
  constexpr int kRounds = 20000;
  size_t public_count = 0;
  // The thread's CPU time: other processes on the machine do not count against it.
  auto cpu_ns = [] {
    timespec now{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    return int64_t{now.tv_sec} * 1000000000 + now.tv_nsec;
  };
  const int64_t start = cpu_ns();
  for (int i = 0; i < kRounds; ++i) public_count += engine.LabelOf(deep) == "public";
  const int64_t per_call = (cpu_ns() - start) / kRounds;
  CHECK(public_count == kRounds);
  INFO(per_call << " ns per LabelOf");
  CHECK(per_call < 5000);
}
