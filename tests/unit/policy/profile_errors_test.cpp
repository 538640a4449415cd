// Every way a profile can be wrong gets one line, "FILE:LINE:COL: what", never a crash.
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include <cerrno>
#include <string>

#include "aarm/policy/profile.hpp"
#include "unit/policy/policy_test_support.hpp"

using aarm::policy::LoadProfile;
using aarm::policy::testing::ShippedDir;
using aarm::policy::testing::ErrorFor;
using aarm::policy::testing::IsOneSafeLine;
using aarm::policy::testing::TempDir;

TEST_CASE("version is required and must be 1", "[policy]") {
  TempDir dir;
  CHECK(ErrorFor(dir, "") == "P:1:1: missing 'version = 1' (the profile format version)");
  CHECK(ErrorFor(dir, "description = \"x\"\n") ==
        "P:1:1: missing 'version = 1' (the profile format version)");
  CHECK(ErrorFor(dir, "version = 2\n") ==
        "P:1:11: version = 2 is not supported; this version of aarm reads version 1");
  CHECK(ErrorFor(dir, "version = \"1\"\n") == "P:1:11: version must be an integer, not a string");
  // A newer version's keys are not reported as unknown: the version is the problem.
  CHECK(ErrorFor(dir, "version = 3\nfuture = true\n") ==
        "P:1:11: version = 3 is not supported; this version of aarm reads version 1");
}

TEST_CASE("Unknown keys are located and the nearest known key is suggested", "[policy]") {
  TempDir dir;
  CHECK(ErrorFor(dir, "version = 1\ndescripton = \"x\"\n") ==
        "P:2:1: unknown key 'descripton' at the top level; did you mean 'description'?");
  CHECK(ErrorFor(dir, "version = 1\n[filesystem]\nwirte = [\"/x\"]\n") ==
        "P:3:1: unknown key 'wirte' in [filesystem]; did you mean 'write'?");
  CHECK(ErrorFor(dir, "version = 1\n[filesystem]\nWrite = [\"/x\"]\n") ==
        "P:3:1: unknown key 'Write' in [filesystem]; did you mean 'write'?");
  CHECK(ErrorFor(dir, "version = 1\n[session]\nrequre_landlock = true\n") ==
        "P:3:1: unknown key 'requre_landlock' in [session]; did you mean 'require_landlock'?");
  CHECK(ErrorFor(dir, "version = 1\n[filesytem]\nread = []\n") ==
        "P:2:2: unknown key 'filesytem' at the top level; did you mean 'filesystem'?");
  // Planned keys are suggested too, and then reported as not built yet.
  CHECK(ErrorFor(dir, "version = 1\n[netwrok]\n") ==
        "P:2:2: unknown key 'netwrok' at the top level; did you mean 'network'?");
  CHECK(ErrorFor(dir, "version = 1\ncolour = \"blue\"\n") ==
        "P:2:1: unknown key 'colour' at the top level (known keys: 'version', 'extends', "
        "'description', 'session', 'filesystem', 'network', 'label', 'rule')");
  CHECK(ErrorFor(dir, "version = 1\n[filesystem]\nmount = []\n") ==
        "P:3:1: unknown key 'mount' in [filesystem] (known keys: 'read', 'write', 'hide', "
        "'readonly')");
  CHECK(ErrorFor(dir, "version = 1\n[filesystem.extra]\n") ==
        "P:2:13: unknown key 'extra' in [filesystem] (known keys: 'read', 'write', 'hide', "
        "'readonly')");
}

TEST_CASE("The first bad key in file order is the one reported", "[policy]") {
  TempDir dir;
  CHECK(ErrorFor(dir, "version = 1\nzebra = 1\naardvark = 2\n") ==
        "P:2:1: unknown key 'zebra' at the top level (known keys: 'version', 'extends', "
        "'description', 'session', 'filesystem', 'network', 'label', 'rule')");
}

TEST_CASE("Parts of the profile language not built yet are refused as such", "[policy]") {
  TempDir dir;
  CHECK(ErrorFor(dir, "version = 1\n[limits]\npids = 5\n") ==
        "P:2:2: [limits] is not supported by this version of aarm yet");
  CHECK(ErrorFor(dir, "version = 1\n[environment]\n") ==
        "P:2:2: [environment] is not supported by this version of aarm yet");
  CHECK(ErrorFor(dir, "version = 1\n[evaluator]\n") ==
        "P:2:2: [evaluator] is not supported by this version of aarm yet");
  CHECK(ErrorFor(dir, "version = 1\n[[credential]]\nname = \"T\"\n") ==
        "P:2:3: [[credential]] is not supported by this version of aarm yet");
  CHECK(ErrorFor(dir, "version = 1\n[session]\nunattended = \"deny\"\n") ==
        "P:3:1: 'session.unattended' is not supported by this version of aarm yet");
  CHECK(ErrorFor(dir, "version = 1\n[session]\nstep_up_timeout = \"60s\"\n") ==
        "P:3:1: 'session.step_up_timeout' is not supported by this version of aarm yet");
  CHECK(ErrorFor(dir, "version = 1\n[session]\ndefault = \"step_up\"\n") ==
        "P:3:11: session.default = \"step_up\" is not supported by this version of aarm yet");
}

TEST_CASE("Values of the wrong type or out of range are located", "[policy]") {
  TempDir dir;
  CHECK(ErrorFor(dir, "version = 1\nsession = 5\n") ==
        "P:2:11: session must be a table, not an integer");
  CHECK(ErrorFor(dir, "version = 1\n[session]\ndefault = \"alow\"\n") ==
        "P:3:11: session.default must be one of 'allow', 'deny', not 'alow'; did you mean "
        "'allow'?");
  CHECK(ErrorFor(dir, "version = 1\n[session]\ndefault = \"never\"\n") ==
        "P:3:11: session.default must be one of 'allow', 'deny', not 'never'");
  CHECK(ErrorFor(dir, "version = 1\n[session]\nrequire_landlock = \"yes\"\n") ==
        "P:3:20: session.require_landlock must be true or false, not a string");
  CHECK(ErrorFor(dir, "version = 1\n[session]\nrequire_namespaces = 1\n") ==
        "P:3:22: session.require_namespaces must be true or false, not an integer");
  CHECK(ErrorFor(dir, "version = 1\n[filesystem]\nread = \"/usr\"\n") ==
        "P:3:8: filesystem.read must be an array of paths, not a string");
  CHECK(ErrorFor(dir, "version = 1\n[filesystem]\nread = [\"/usr\", 1]\n") ==
        "P:3:17: each entry of filesystem.read must be a string, not an integer");
  CHECK(ErrorFor(dir, "version = 1\ndescription = 7\n") ==
        "P:2:15: description must be a string, not an integer");
  CHECK(ErrorFor(dir, "version = 1\ndescription = \"\"\n") == "P:2:15: description is empty");
  CHECK(ErrorFor(dir, "version = 1\nextends = \"\"\n") == "P:2:11: extends is empty");
  CHECK(ErrorFor(dir, "version = 1\n[session]\ndefault = \"\"\n") ==
        "P:3:11: session.default is empty");
}

TEST_CASE("Paths must be absolute or start with a variable", "[policy]") {
  TempDir dir;
  auto read = [&](const std::string& path_literal) {
    return ErrorFor(dir, "version = 1\n[filesystem]\nread = [" + path_literal + "]\n");
  };
  CHECK(read("\"usr/lib\"") ==
        "P:3:9: filesystem.read entry 'usr/lib' is relative; a path must be absolute or start "
        "with one of {project} {home} {cwd} {tmp}");
  CHECK(read("\"~/.ssh\"") ==
        "P:3:9: filesystem.read entry '~/.ssh' starts with '~', which is not expanded; write "
        "'{home}/.ssh'");
  CHECK(read("\"~\"") ==
        "P:3:9: filesystem.read entry '~' starts with '~', which is not expanded; write '{home}'");
  CHECK(read("\"~root/x\"") ==
        "P:3:9: filesystem.read entry '~root/x' starts with '~', which is not expanded; write "
        "the absolute path");
  CHECK(read("\"{hom}/x\"") ==
        "P:3:9: filesystem.read entry '{hom}/x' uses the unknown variable '{hom}'; did you mean "
        "'{home}'?");
  CHECK(read("\"{workspace}/x\"") ==
        "P:3:9: filesystem.read entry '{workspace}/x' uses the unknown variable '{workspace}' "
        "(known: {project} {home} {cwd} {tmp})");
  CHECK(read("\"{home\"") == "P:3:9: filesystem.read entry '{home' has a '{' that is never closed");
  CHECK(read("\"{home}x\"") ==
        "P:3:9: filesystem.read entry '{home}x' continues '{home}' without a '/'");
  CHECK(read("\"/srv/{home}\"") ==
        "P:3:9: filesystem.read entry '/srv/{home}' has '{' or '}' after its start; a variable "
        "may only begin a path");
  CHECK(read("\"{home}/*.pem\"") ==
        "P:3:9: filesystem.read entry '{home}/*.pem' contains a glob character; filesystem paths "
        "are plain paths, not patterns");
  CHECK(read("\"\"") == "P:3:9: filesystem.read entry '' is empty");
  CHECK(read("\"/usr\", \"\"") == "P:3:17: filesystem.read entry '' is empty");
}

TEST_CASE("TOML syntax errors are located by the parser", "[policy]") {
  TempDir dir;
  CHECK(ErrorFor(dir, "version = 1\n[filesystem]\nread = [\"/usr\"\n") ==
        "P:3:16: invalid TOML: Error while parsing array: encountered end-of-file");
  CHECK(ErrorFor(dir, "version = 1\nversion = 1\n") ==
        "P:2:11: invalid TOML: Error while parsing key-value pair: cannot redefine existing "
        "integer 'version'");
  CHECK(ErrorFor(dir, "version = 1\n[session\n") ==
        "P:2:9: invalid TOML: Error while parsing table header: expected ']', saw '\\n'");
}

TEST_CASE("A missing or unreadable file is one line with the system's reason", "[policy]") {
  TempDir dir;
  auto missing = LoadProfile(dir.Path() + "/nope.toml", ShippedDir());
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().sys_errno == ENOENT);
  CHECK(missing.error().Describe() ==
        "cannot read profile '" + dir.Path() + "/nope.toml': No such file or directory");

  std::filesystem::create_directory(dir.Path() + "/d.toml");
  auto directory = LoadProfile(dir.Path() + "/d.toml", ShippedDir());
  REQUIRE_FALSE(directory.has_value());
  CHECK(directory.error().Describe() ==
        "cannot read profile '" + dir.Path() + "/d.toml': Is a directory");

  auto unknown = LoadProfile("nosuch", ShippedDir());
  REQUIRE_FALSE(unknown.has_value());
  CHECK(unknown.error().Describe() == "no shipped profile named 'nosuch' in '" + ShippedDir() +
                                          "': No such file or directory");

  auto odd = LoadProfile("-x y", ShippedDir());
  REQUIRE_FALSE(odd.has_value());
  CHECK(odd.error().message ==
        "'-x y' is neither a shipped profile name (letters, digits, '-', '_') nor a path (with a "
        "'/' or ending in '.toml')");
}

TEST_CASE("A FIFO is refused without blocking", "[policy]") {
  TempDir dir;
  const std::string fifo = dir.Path() + "/fifo.toml";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  auto profile = LoadProfile(fifo, ShippedDir());
  REQUIRE_FALSE(profile.has_value());
  CHECK(profile.error().Describe() == "cannot read profile '" + fifo + "': not a regular file");
}

TEST_CASE("Control characters from the file are echoed escaped, on one line", "[policy]") {
  TempDir dir;
  CHECK(ErrorFor(dir, "version = 1\ndescription = \"two\\nlines \\u001b[31mred\"\n") ==
        "P:2:15: description 'two\\nlines \\x1b[31mred' contains a control character; it must "
        "be one line of text");
  CHECK(ErrorFor(dir, "version = 1\n[filesystem]\nhide = [\"/a\\rb\"]\n") ==
        "P:3:9: filesystem.hide entry '/a\\rb' contains a control character");
  CHECK(ErrorFor(dir, "version = 1\n[filesystem]\nhide = [\"/a\\u0000b\"]\n") ==
        "P:3:9: filesystem.hide entry '/a\\x00b' contains a NUL byte");
  CHECK(ErrorFor(dir, "version = 1\ndescription = \"a\\u0000b\"\n") ==
        "P:2:15: description 'a\\x00b' contains a NUL byte");
  CHECK(ErrorFor(dir, "version = 1\n\"bad\\nkey\\u001b]0;title\\u0007\" = 1\n") ==
        "P:2:1: unknown key 'bad\\nkey\\x1b]0;title\\x07' at the top level (known keys: "
        "'version', 'extends', 'description', 'session', 'filesystem', 'network', 'label', "
        "'rule')");
  CHECK(ErrorFor(dir, "version = 1\n[filesystem]\nread = [\"/caf\\u00e9\\u202e\"]\nx = 1\n") ==
        "P:4:1: unknown key 'x' in [filesystem] (known keys: 'read', 'write', 'hide', "
        "'readonly')");
}

TEST_CASE("A file name with a newline is escaped in the error", "[policy]") {
  TempDir dir;
  const std::string path = dir.Write("bad\nname.toml", "version = 2\n");
  auto profile = LoadProfile(path, ShippedDir());
  REQUIRE_FALSE(profile.has_value());
  CHECK(profile.error().message == dir.Path() + "/bad\\nname.toml:1:11: version = 2 is not "
                                                "supported; this version of aarm reads version 1");
}

TEST_CASE("Bytes that are not UTF-8, and binary files, are syntax errors", "[policy]") {
  TempDir dir;
  CHECK(ErrorFor(dir, "version = 1\ndescription = \"caf\xe9\"\n") ==
        "P:2:19: not UTF-8: byte \\xe9; a profile must be UTF-8 text");
  CHECK(ErrorFor(dir, "# \xff\xfe comment\nversion = 1\n") ==
        "P:1:3: not UTF-8: byte \\xff; a profile must be UTF-8 text");
  // Columns count characters, not bytes.
  CHECK(ErrorFor(dir, "version = 1\n# \xc3\xa9\xe6\x97\xa5 \xc0\xaf\n") ==
        "P:2:6: not UTF-8: byte \\xc0; a profile must be UTF-8 text");

  std::string binary;
  for (int i = 0; i < 4096; ++i) binary += static_cast<char>((i * 7919 + 13) % 256);
  const std::string message = ErrorFor(dir, binary);
  CHECK(message.rfind("P:1:", 0) == 0);

  CHECK(ErrorFor(dir, std::string("version = 1\0\n", 13)).rfind("P:1:12: invalid TOML:", 0) == 0);
}

TEST_CASE("Deeply nested values are a syntax error, not a stack overflow", "[policy]") {
  TempDir dir;
  const std::string message = ErrorFor(dir, "version = 1\nx = " + std::string(100000, '[') + "\n");
  CHECK(message.rfind("P:2:", 0) == 0);
  CHECK(message.find("TOML_MAX_NESTED_VALUES") != std::string::npos);
}

TEST_CASE("A path of 4 KiB is refused, as a profile path and inside one", "[policy]") {
  TempDir dir;
  const std::string long_name = dir.Path() + "/" + std::string(4096, 'a') + ".toml";
  auto profile = LoadProfile(long_name, ShippedDir());
  REQUIRE_FALSE(profile.has_value());
  CHECK(profile.error().sys_errno == ENAMETOOLONG);
  CHECK(IsOneSafeLine(profile.error().Describe()));
  CHECK(profile.error().Describe().size() < 400);

  const std::string too_long = "/" + std::string(4095, 'b');
  const std::string message =
      ErrorFor(dir, "version = 1\n[filesystem]\nread = [\"" + too_long + "\"]\n");
  CHECK(message.rfind("P:3:9: filesystem.read entry '/bbbb", 0) == 0);
  CHECK(message.find("...' is 4096 bytes long; the limit is 4095") != std::string::npos);
  CHECK(message.size() < 400);

  const std::string longest = "/" + std::string(4094, 'c');
  const std::string path = dir.Write("ok.toml", "version = 1\n[filesystem]\nread = [\"" + longest + "\"]\n");
  auto accepted = LoadProfile(path, ShippedDir());
  REQUIRE(accepted.has_value());
  CHECK(accepted->filesystem.read == std::vector<std::string>{longest});
}

TEST_CASE("A profile over 1 MiB is refused before it is parsed", "[policy]") {
  TempDir dir;
  std::string huge = "version = 1\n";
  while (huge.size() < 10 * 1024 * 1024) huge += "# " + std::string(1022, 'x') + "\n";
  const std::string path = dir.Write("huge.toml", huge);
  auto profile = LoadProfile(path, ShippedDir());
  REQUIRE_FALSE(profile.has_value());
  CHECK(profile.error().message == "profile '" + path + "' is " + std::to_string(huge.size()) +
                                       " bytes; a profile may be at most 1048576 bytes");

  std::string large = "version = 1\n";
  while (large.size() < 1000 * 1024) large += "# " + std::string(1022, 'x') + "\n";
  auto accepted = LoadProfile(dir.Write("large.toml", large), ShippedDir());
  CHECK(accepted.has_value());
}
