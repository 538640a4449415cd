#include <catch2/catch.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "aarm/policy/profile.hpp"
#include "unit/policy/policy_test_support.hpp"

using aarm::policy::DefaultDecision;
using aarm::policy::LoadProfile;
using aarm::policy::Profile;
using aarm::policy::testing::Fixture;
using aarm::policy::testing::MustLoad;
using aarm::policy::testing::ShippedDir;
using aarm::policy::testing::TempDir;
using Paths = std::vector<std::string>;

namespace {

std::string LoadError(const std::string& name_or_path) {
  auto profile = LoadProfile(name_or_path, ShippedDir());
  INFO(name_or_path);
  REQUIRE_FALSE(profile.has_value());
  CHECK(profile.error().message.find('\n') == std::string::npos);
  return profile.error().message;
}

void CheckSameSettings(const Profile& a, const Profile& b) {
  CHECK(a.version == b.version);
  CHECK(a.description == b.description);
  CHECK(a.session.default_decision == b.session.default_decision);
  CHECK(a.session.require_namespaces == b.session.require_namespaces);
  CHECK(a.session.require_landlock == b.session.require_landlock);
  CHECK(a.filesystem.read == b.filesystem.read);
  CHECK(a.filesystem.write == b.filesystem.write);
  CHECK(a.filesystem.hide == b.filesystem.hide);
  CHECK(a.filesystem.readonly == b.filesystem.readonly);
  CHECK(a.effective_toml == b.effective_toml);
}

}  // namespace

TEST_CASE("Every shipped profile loads, by name and by path", "[policy]") {
  std::vector<std::filesystem::path> shipped;
  for (const auto& entry : std::filesystem::directory_iterator(ShippedDir())) {
    if (entry.path().extension() == ".toml") shipped.push_back(entry.path());
  }
  REQUIRE(shipped.size() >= 2);
  for (const auto& path : shipped) {
    const std::string name = path.stem().string();
    const Profile by_name = MustLoad(name);
    CHECK(by_name.name == name);
    CHECK(by_name.path == path.string());
    CHECK(by_name.files.front() == path.string());
    CHECK_FALSE(by_name.description.empty());
    CHECK_FALSE(by_name.filesystem.read.empty());
    CHECK_FALSE(by_name.effective_toml.empty());

    const Profile by_path = MustLoad(path.string());
    CHECK(by_path.name == path.string());
    CheckSameSettings(by_name, by_path);
  }
}

TEST_CASE("The default profile confines writes to the project and hides credentials", "[policy]") {
  const Profile profile = MustLoad("default");
  CHECK(profile.files == Paths{ShippedDir() + "/default.toml"});
  CHECK(profile.session.default_decision == DefaultDecision::kAllow);
  CHECK(profile.session.require_namespaces);
  CHECK(profile.filesystem.write == Paths{"{project}", "{tmp}"});
  for (const char* secret : {"{home}/.ssh", "{home}/.aws", "{home}/.gnupg", "{home}/.netrc",
                             "{home}/.kube", "{home}/.docker", "{home}/.config/gcloud"}) {
    INFO(secret);
    CHECK(std::count(profile.filesystem.hide.begin(), profile.filesystem.hide.end(), secret) == 1);
  }
  for (const char* runs_later : {"{project}/.git/hooks", "{project}/.git/config", "{project}/.aarm",
                                 "{project}/.envrc", "{project}/.vscode", "{project}/.mcp.json",
                                 "{home}/.bashrc", "{home}/.zshrc", "{home}/.config/fish"}) {
    INFO(runs_later);
    CHECK(std::count(profile.filesystem.readonly.begin(), profile.filesystem.readonly.end(),
                     runs_later) == 1);
  }
}

TEST_CASE("The readonly profile writes nothing but {tmp}", "[policy]") {
  const Profile readonly = MustLoad("readonly");
  const Profile standard = MustLoad("default");
  CHECK(readonly.filesystem.write == Paths{"{tmp}"});
  CHECK(readonly.filesystem.read == standard.filesystem.read);
  CHECK(readonly.filesystem.hide == standard.filesystem.hide);
  CHECK(readonly.filesystem.readonly == standard.filesystem.readonly);
}

TEST_CASE("extends by relative path: scalars override, lists append without duplicates",
          "[policy]") {
  const Profile child = MustLoad(Fixture("child.toml"));
  CHECK(child.files == Paths{Fixture("child.toml"), Fixture("base.toml")});
  CHECK(child.description == "base of the extends fixtures");   // inherited
  CHECK(child.session.default_decision == DefaultDecision::kAllow);  // overridden
  CHECK(child.session.require_landlock);                         // inherited
  CHECK(child.session.require_namespaces);                       // built-in default
  CHECK(child.filesystem.read == Paths{"/usr", "{project}", "/opt"});
  CHECK(child.filesystem.write == Paths{"{project}"});
  CHECK(child.filesystem.hide == Paths{"{home}/.ssh"});
  CHECK(child.filesystem.readonly.empty());
}

TEST_CASE("extends climbs out of a subdirectory relative to the extending file", "[policy]") {
  const Profile grandchild = MustLoad(Fixture("nested/grandchild.toml"));
  CHECK(grandchild.files ==
        Paths{Fixture("nested/grandchild.toml"), Fixture("child.toml"), Fixture("base.toml")});
  CHECK(grandchild.description == "grandchild of base");
  CHECK(grandchild.filesystem.hide == Paths{"{home}/.ssh", "{home}/.aws"});
  CHECK(grandchild.session.default_decision == DefaultDecision::kAllow);
}

TEST_CASE("extends by shipped name", "[policy]") {
  const Profile profile = MustLoad(Fixture("extends_shipped.toml"));
  CHECK(profile.files == Paths{Fixture("extends_shipped.toml"), ShippedDir() + "/default.toml"});
  CHECK(profile.filesystem.write == Paths{"{project}", "{tmp}", "/srv/data"});
  CHECK(profile.session.default_decision == DefaultDecision::kAllow);
  CHECK(profile.description == MustLoad("default").description);
}

TEST_CASE("A profile's name is what the user gave, relative paths resolve against cwd",
          "[policy]") {
  TempDir dir;
  dir.Write("p.toml", "version = 1\n");
  const auto previous = std::filesystem::current_path();
  std::filesystem::current_path(dir.Path());
  auto profile = LoadProfile("p.toml", ShippedDir());
  auto dotted = LoadProfile("./sub/../p.toml", ShippedDir());
  std::filesystem::current_path(previous);
  REQUIRE(profile.has_value());
  CHECK(profile->name == "p.toml");
  CHECK(profile->path == dir.Path() + "/p.toml");
  REQUIRE(dotted.has_value());
  CHECK(dotted->name == "./sub/../p.toml");
  CHECK(dotted->path == dir.Path() + "/p.toml");
}

TEST_CASE("A relative shipped directory is taken from the current directory", "[policy]") {
  TempDir dir;
  dir.Write("shipped/base.toml", "version = 1\ndescription = \"relative\"\n");
  dir.Write("p.toml", "version = 1\nextends = \"base\"\n");
  const auto previous = std::filesystem::current_path();
  std::filesystem::current_path(dir.Path());
  auto by_name = LoadProfile("base", "shipped");
  auto extending = LoadProfile(dir.Path() + "/p.toml", "./shipped/");
  std::filesystem::current_path(previous);
  REQUIRE(by_name.has_value());
  CHECK(by_name->path == dir.Path() + "/shipped/base.toml");
  REQUIRE(extending.has_value());
  CHECK(extending->files == Paths{dir.Path() + "/p.toml", dir.Path() + "/shipped/base.toml"});
  CHECK(extending->description == "relative");
}

TEST_CASE("An extends cycle is reported with the chain", "[policy]") {
  const std::string a = Fixture("cycle_a.toml");
  const std::string b = Fixture("cycle_b.toml");
  CHECK(LoadError(a) == b + ":2:11: extends = 'cycle_a.toml' makes a cycle: " + a + " -> " + b +
                            " -> " + a);
  const std::string self = Fixture("self_cycle.toml");
  CHECK(LoadError(self) ==
        self + ":2:11: extends = './self_cycle.toml' makes a cycle: " + self + " -> " + self);
}

TEST_CASE("A cycle through a symlink is still a cycle", "[policy]") {
  TempDir dir;
  const std::string real = dir.Write("real.toml", "version = 1\nextends = \"link.toml\"\n");
  std::filesystem::create_symlink(real, dir.Path() + "/link.toml");
  CHECK(LoadError(real) == real + ":2:11: extends = 'link.toml' makes a cycle: " + real + " -> " +
                               dir.Path() + "/link.toml");
}

TEST_CASE("extends chains are limited to 8 profiles", "[policy]") {
  TempDir dir;
  for (int i = 0; i < 9; ++i) {
    std::string text = "version = 1\n";
    if (i < 8) text += "extends = \"p" + std::to_string(i + 1) + ".toml\"\n";
    dir.Write("p" + std::to_string(i) + ".toml", text);
  }
  const Profile eight = MustLoad(dir.Path() + "/p1.toml");
  CHECK(eight.files.size() == 8);
  CHECK(LoadError(dir.Path() + "/p0.toml") ==
        dir.Path() + "/p7.toml:2:11: extends = 'p8.toml' would make a chain of more than 8 profiles");
}

TEST_CASE("An error inside an extended profile points into that profile", "[policy]") {
  CHECK(LoadError(Fixture("extends_broken.toml")) ==
        Fixture("broken_base.toml") + ":4:1: unknown key 'raed' in [filesystem]; did you mean 'read'?");
}

TEST_CASE("An extended profile that cannot be found is blamed on the extends line", "[policy]") {
  TempDir dir;
  const std::string missing = dir.Write("missing.toml", "version = 1\nextends = \"gone.toml\"\n");
  CHECK(LoadError(missing) == missing + ":2:11: extends = 'gone.toml': cannot read profile '" +
                                  dir.Path() + "/gone.toml': No such file or directory");
  const std::string unknown = dir.Write("unknown.toml", "version = 1\nextends = \"nosuch\"\n");
  CHECK(LoadError(unknown) == unknown + ":2:11: extends = 'nosuch': no shipped profile named "
                                        "'nosuch' in '" + ShippedDir() +
                                  "': No such file or directory");
  const std::string odd = dir.Write("odd.toml", "version = 1\nextends = \"two words\"\n");
  CHECK(LoadError(odd) ==
        odd + ":2:11: extends = 'two words' is neither a shipped profile name (letters, digits, "
              "'-', '_') nor a path (with a '/' or ending in '.toml')");
}

TEST_CASE("Duplicates within one list are dropped, first occurrence kept", "[policy]") {
  TempDir dir;
  const std::string path = dir.Write(
      "p.toml", "version = 1\n[filesystem]\nread = [\"/b\", \"/a\", \"/b\", \"{home}\", \"/a\"]\n");
  CHECK(MustLoad(path).filesystem.read == Paths{"/b", "/a", "{home}"});
}

TEST_CASE("A profile without [session] gets the built-in defaults", "[policy]") {
  TempDir dir;
  const Profile profile = MustLoad(dir.Write("p.toml", "version = 1\n"));
  CHECK(profile.session.default_decision == DefaultDecision::kDeny);
  CHECK(profile.session.require_namespaces);
  CHECK_FALSE(profile.session.require_landlock);
  CHECK(profile.filesystem.read.empty());
  CHECK(profile.description.empty());
}

TEST_CASE("effective_toml reloads to the same profile", "[policy]") {
  TempDir dir;
  for (const std::string& source :
       {ShippedDir() + "/default.toml", ShippedDir() + "/readonly.toml",
        Fixture("nested/grandchild.toml"), Fixture("extends_shipped.toml"),
        dir.Write("plain.toml", "version = 1\n")}) {
    INFO(source);
    const Profile original = MustLoad(source);
    CHECK(original.effective_toml.find("extends") == std::string::npos);
    const Profile again = MustLoad(source);
    CHECK(again.effective_toml == original.effective_toml);

    const Profile reloaded = MustLoad(dir.Write("effective.toml", original.effective_toml));
    CheckSameSettings(original, reloaded);
    CHECK(reloaded.files.size() == 1);
  }
}

TEST_CASE("effective_toml escapes everything outside printable ASCII", "[policy]") {
  TempDir dir;
  const Profile profile = MustLoad(dir.Write(
      "p.toml", "version = 1\ndescription = \"caf\xc3\xa9 \xe2\x80\xae reversed\"\n"
                "[filesystem]\nread = [\"/srv/caf\xc3\xa9\"]\n"));
  for (char c : profile.effective_toml) {
    const auto byte = static_cast<unsigned char>(c);
    CHECK((c == '\n' || (byte >= 0x20 && byte < 0x7F)));
  }
  const Profile reloaded = MustLoad(dir.Write("effective.toml", profile.effective_toml));
  CHECK(reloaded.description == "caf\xc3\xa9 \xe2\x80\xae reversed");
  CHECK(reloaded.filesystem.read == Paths{"/srv/caf\xc3\xa9"});
}
