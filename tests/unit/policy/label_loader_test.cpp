// [[label]], session.record_reads and session.unclassified as the loader reads, merges, checks
// and renders them.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "aarm/policy/profile.hpp"
#include "unit/policy/policy_test_support.hpp"

using aarm::policy::LabelSpec;
using aarm::policy::LoadProfile;
using aarm::policy::Profile;
using aarm::policy::RecordReads;
using aarm::policy::testing::ErrorFor;
using aarm::policy::testing::MustLoad;
using aarm::policy::testing::ShippedDir;
using aarm::policy::testing::TempDir;
using Texts = std::vector<std::string>;

namespace {

Texts Names(const Profile& profile) {
  Texts names;
  for (const LabelSpec& label : profile.labels) names.push_back(label.name);
  return names;
}

Texts PathsOf(const Profile& profile, const std::string& name) {
  for (const LabelSpec& label : profile.labels) {
    if (label.name != name) continue;
    Texts paths;
    for (const auto& pattern : label.paths) paths.push_back(pattern.text);
    return paths;
  }
  FAIL("no label " + name);
  return {};
}

std::string Label(const std::string& name, const std::string& paths) {
  return "[[label]]\nname = \"" + name + "\"\npaths = " + paths + "\n";
}

}  // namespace

TEST_CASE("A profile without labels has every read recorded, as secret data",
          "[policy][label]") {
  TempDir dir;
  const Profile profile = MustLoad(dir.Write("p.toml", "version = 1\n"));
  CHECK(profile.labels.empty());
  CHECK(profile.session.record_reads == RecordReads::kSensitive);
  CHECK(profile.session.unclassified == "secret");
  CHECK_THAT(profile.effective_toml, Catch::Contains("record_reads = \"sensitive\"") &&
                                         Catch::Contains("unclassified = \"secret\""));
}

TEST_CASE("[[label]] and the [session] keys are read as written", "[policy][label]") {
  TempDir dir;
  const std::string path = dir.Write(
      "p.toml", "version = 1\n[session]\nrecord_reads = \"all\"\nunclassified = \"internal\"\n" +
                    Label("public", "[\"/usr/**\", \"/lib/**\"]") +
                    Label("internal", "\"{project}/docs/**\"") + "[[label]]\nname = \"empty\"\n");
  const Profile profile = MustLoad(path);
  CHECK(profile.session.record_reads == RecordReads::kAll);
  CHECK(profile.session.unclassified == "internal");
  CHECK(Names(profile) == Texts{"public", "internal", "empty"});
  CHECK(PathsOf(profile, "public") == Texts{"/usr/**", "/lib/**"});
  CHECK(PathsOf(profile, "internal") == Texts{"{project}/docs/**"});
  CHECK(PathsOf(profile, "empty").empty());
  CHECK(profile.labels[0].where.file == path);
  CHECK(profile.labels[0].where.line == 5);
  CHECK(profile.labels[0].paths[1].where.line == 7);
  CHECK(profile.labels[0].paths[1].where.column == 21);
}

TEST_CASE("A label declared twice in one file is one label", "[policy][label]") {
  TempDir dir;
  const Profile profile = MustLoad(dir.Write(
      "p.toml", "version = 1\n" + Label("secret", "[\"**/.env\"]") +
                    Label("public", "[\"/usr/**\"]") +
                    Label("secret", "[\"**/*.pem\", \"**/.env\"]")));
  CHECK(Names(profile) == Texts{"secret", "public"});
  CHECK(PathsOf(profile, "secret") == Texts{"**/.env", "**/*.pem"});
  CHECK(profile.labels[0].where.line == 2);
}

TEST_CASE("extends: the profile's own labels first, paths of a shared name merged",
          "[policy][label]") {
  TempDir dir;
  dir.Write("base.toml", "version = 1\n[session]\nrecord_reads = \"all\"\n" +
                             Label("public", "[\"/usr/**\", \"/lib/**\"]") +
                             Label("secret", "[\"**/.env\"]") +
                             Label("customer", "[\"/srv/customers/**\"]"));
  const std::string child = dir.Write(
      "child.toml", "version = 1\nextends = \"base.toml\"\n[session]\nunclassified = \"public\"\n" +
                        Label("internal", "[\"{project}/docs/**\"]") +
                        Label("public", "[\"/opt/**\", \"/usr/**\"]"));
  const Profile profile = MustLoad(child);
  CHECK(Names(profile) == Texts{"internal", "public", "secret", "customer"});
  CHECK(PathsOf(profile, "public") == Texts{"/usr/**", "/lib/**", "/opt/**"});
  CHECK(profile.labels[1].where.file == child);
  CHECK(profile.session.record_reads == RecordReads::kAll);  // inherited
  CHECK(profile.session.unclassified == "public");

  // session.unclassified may name a label only the extended profile declares.
  const Profile named = MustLoad(dir.Write(
      "named.toml",
      "version = 1\nextends = \"base.toml\"\n[session]\nunclassified = \"customer\"\n"));
  CHECK(named.session.unclassified == "customer");
}

TEST_CASE("The effective profile renders labels and loads again to the same profile",
          "[policy][label]") {
  TempDir dir;
  dir.Write("base.toml", "version = 1\n" + Label("public", "[\"/usr/**\"]") +
                             Label("secret", "[\"**/.env\", \"!{project}/**\"]"));
  const std::string child = dir.Write(
      "child.toml", "version = 1\nextends = \"base.toml\"\n[session]\nrecord_reads = \"all\"\n"
                    "unclassified = \"internal\"\n" +
                        Label("internal", "[\"{home}/notes/**\"]") +
                        "[[label]]\nname = \"bare\"\n");
  for (const std::string& source : {ShippedDir() + "/default.toml", child}) {
    INFO(source);
    const Profile original = MustLoad(source);
    const Profile reloaded = MustLoad(dir.Write("effective.toml", original.effective_toml));
    CHECK(reloaded.session.record_reads == original.session.record_reads);
    CHECK(reloaded.session.unclassified == original.session.unclassified);
    CHECK(Names(reloaded) == Names(original));
    for (const std::string& name : Names(original)) {
      CHECK(PathsOf(reloaded, name) == PathsOf(original, name));
    }
    CHECK(reloaded.effective_toml == original.effective_toml);
  }
  const Profile original = MustLoad(child);
  CHECK_THAT(original.effective_toml, Catch::Contains("[[label]]"));
  CHECK_THAT(original.effective_toml, Catch::Contains("unclassified = \"internal\""));
}

TEST_CASE("The default profile labels system files public and credentials secret",
          "[policy][label]") {
  const Profile profile = MustLoad(ShippedDir() + "/default.toml");
  CHECK(profile.session.record_reads == RecordReads::kSensitive);
  CHECK(profile.session.unclassified == "secret");
  const Texts public_paths = PathsOf(profile, "public");
  for (const char* path : {"/usr/**", "/lib/**", "/lib64/**", "/bin/**", "/sbin/**",
                           "/etc/ld.so.cache", "/etc/ssl/certs/**"}) {
    INFO(path);
    CHECK(std::count(public_paths.begin(), public_paths.end(), path) == 1);
  }
  const Texts secret_paths = PathsOf(profile, "secret");
  for (const char* path : {"**/.env", "{home}/.netrc", "**/id_rsa*", "{project}/**/*.pem"}) {
    INFO(path);
    CHECK(std::count(secret_paths.begin(), secret_paths.end(), path) == 1);
  }
}

TEST_CASE("[[label]] errors name the place", "[policy][label]") {
  TempDir dir;
  CHECK(ErrorFor(dir, "version = 1\nlabel = \"public\"\n") ==
        "P:2:9: label must be written as [[label]] tables, not a string");
  CHECK(ErrorFor(dir, "version = 1\nlabel = [1]\n") ==
        "P:2:10: each [[label]] must be a table, not an integer");
  CHECK(ErrorFor(dir, "version = 1\n[[label]]\npaths = [\"/usr/**\"]\n") ==
        "P:2:1: [[label]] has no 'name'");
  CHECK(ErrorFor(dir, "version = 1\n[[label]]\nname = \"public\"\npath = [\"/usr/**\"]\n") ==
        "P:4:1: unknown key 'path' in [[label]]; did you mean 'paths'?");
  CHECK(ErrorFor(dir, "version = 1\n[[label]]\nname = \"9lives\"\n") ==
        "P:3:8: label.name '9lives' must be letters, digits, '-' and '_', starting with a "
        "letter, at most 64 bytes");
  CHECK(ErrorFor(dir, "version = 1\n[[label]]\nname = \"a b\"\n") ==
        "P:3:8: label.name 'a b' must be letters, digits, '-' and '_', starting with a letter, "
        "at most 64 bytes");
  CHECK(ErrorFor(dir, "version = 1\n[[label]]\nname = \"" + std::string(65, 'x') + "\"\n")
            .find("P:3:8: label.name 'xxx") == 0);
  CHECK(ErrorFor(dir, "version = 1\n[[label]]\nname = \"\"\n") == "P:3:8: label.name is empty");
  CHECK(ErrorFor(dir, "version = 1\n[[label]]\nname = 5\n") ==
        "P:3:8: label.name must be a string, not an integer");
  CHECK(ErrorFor(dir, "version = 1\n[[label]]\nname = \"p\"\npaths = []\n") ==
        "P:4:9: label.paths is an empty array");
  CHECK(ErrorFor(dir, "version = 1\n[[label]]\nname = \"p\"\npaths = [\"usr/**\"]\n") ==
        "P:4:10: label.paths entry 'usr/**' is relative; a pattern must be absolute, start "
        "with one of {project} {home} {cwd} {tmp}, or start with '**/'");
  CHECK(ErrorFor(dir, "version = 1\n[[label]]\nname = \"p\"\npaths = [\"/usr/a**\"]\n") ==
        "P:4:10: label.paths entry '/usr/a**' has '**' inside the segment 'a**'; '**' stands "
        "alone between slashes ('dir/**/name'), '*' matches within a segment");
  CHECK(ErrorFor(dir, "version = 1\n[[label]]\nname = \"p\"\npaths = [\"{hme}/x\"]\n")
            .find("P:4:10: label.paths entry '{hme}/x'") == 0);
  CHECK(ErrorFor(dir, "version = 1\n[[label]]\nname = \"p\"\npaths = 5\n")
            .find("P:4:9: label.paths must be") == 0);
  CHECK(ErrorFor(dir, "version = 1\n[[label]]\nname = \"p\"\npaths = [\"/" +
                          std::string(4096, 'a') + "\"]\n")
            .find("P:4:10: label.paths entry") == 0);
  const std::string escape_error =
      ErrorFor(dir, "version = 1\n[[label]]\nname = \"a\\u001b[31m\"\n");
  CHECK(escape_error.find('\x1b') == std::string::npos);
  CHECK(escape_error.find("P:3:8: label.name") == 0);
}

TEST_CASE("session.record_reads and session.unclassified errors name the place",
          "[policy][label]") {
  TempDir dir;
  CHECK(ErrorFor(dir, "version = 1\n[session]\nrecord_reads = \"some\"\n") ==
        "P:3:16: session.record_reads must be one of 'all', 'sensitive', not 'some'");
  CHECK(ErrorFor(dir, "version = 1\n[session]\nrecord_reads = \"sensitiv\"\n") ==
        "P:3:16: session.record_reads must be one of 'all', 'sensitive', not 'sensitiv'; did "
        "you mean 'sensitive'?");
  CHECK(ErrorFor(dir, "version = 1\n[session]\nrecord_reads = true\n") ==
        "P:3:16: session.record_reads must be a string, not a boolean");
  CHECK(ErrorFor(dir, "version = 1\n[session]\nunclassified = \"top secret\"\n") ==
        "P:3:16: session.unclassified 'top secret' is not a label name (letters, digits, '-' "
        "and '_', starting with a letter, at most 64 bytes)");
  CHECK(ErrorFor(dir, "version = 1\n[session]\nunclassified = \"" + std::string(65, 'x') + "\"\n")
            .find("at most 64 bytes") != std::string::npos);
  CHECK(ErrorFor(dir, "version = 1\n[session]\nunclassified = 5\n") ==
        "P:3:16: session.unclassified must be a string, not an integer");
  CHECK(ErrorFor(dir, "version = 1\n[session]\nunclassified = \"\"\n") ==
        "P:3:16: session.unclassified is empty");
  // A control character is shown escaped, never written to the terminal as it is.
  const std::string escape_error =
      ErrorFor(dir, "version = 1\n[session]\nunclassified = \"a\\u001b[31m\"\n");
  CHECK(escape_error.find('\x1b') == std::string::npos);
  CHECK(escape_error.find("P:3:16: session.unclassified") == 0);
  CHECK(ErrorFor(dir, "version = 1\n[session]\nunclassified = \"secrte\"\n") ==
        "P:3:16: session.unclassified 'secrte' is not a label; did you mean 'secret'?");
  CHECK(ErrorFor(dir, "version = 1\n[session]\nunclassified = \"confidential\"\n" +
                          Label("internal", "[\"/srv/**\"]")) ==
        "P:3:16: session.unclassified 'confidential' is not a label (labels: 'public', "
        "'secret', 'internal')");
}

TEST_CASE("An unclassified label missing from an extended chain is placed where it is written",
          "[policy][label]") {
  TempDir dir;
  const std::string base =
      dir.Write("base.toml", "version = 1\n[session]\nunclassified = \"internl\"\n");
  dir.Write("child.toml", "version = 1\nextends = \"base.toml\"\n" +
                              Label("internal", "[\"/srv/**\"]"));
  auto profile = LoadProfile(dir.Path() + "/child.toml", ShippedDir());
  REQUIRE_FALSE(profile.has_value());
  CHECK(profile.error().message ==
        base + ":3:16: session.unclassified 'internl' is not a label; did you mean 'internal'?");
  // The child declaring the label makes the base's value good: it is the effective profile that
  // must be whole.
  dir.Write("fixed.toml", "version = 1\nextends = \"base.toml\"\n" +
                              Label("internl", "[\"/srv/**\"]"));
  CHECK(LoadProfile(dir.Path() + "/fixed.toml", ShippedDir()).has_value());
}
