// [network] and the host and port keys of a rule's match, as the loader reads, merges, renders
// and refuses them.
#include <catch2/catch.hpp>

#include <string>
#include <utility>
#include <vector>

#include "aarm/policy/display_text.hpp"
#include "aarm/policy/profile.hpp"
#include "unit/policy/policy_test_support.hpp"

using aarm::policy::DefaultDecision;
using aarm::policy::LoadProfile;
using aarm::policy::NetworkMode;
using aarm::policy::PortRange;
using aarm::policy::Profile;
using aarm::policy::QuoteForDisplay;
using aarm::policy::RulePattern;
using aarm::policy::testing::ErrorFor;
using aarm::policy::testing::MustLoad;
using aarm::policy::testing::ShippedDir;
using aarm::policy::testing::TempDir;
using Hosts = std::vector<std::pair<std::string, std::string>>;
using Texts = std::vector<std::string>;

namespace {

Texts AllowTexts(const Profile& profile) {
  Texts texts;
  for (const RulePattern& entry : profile.network.allow) texts.push_back(entry.text);
  return texts;
}

std::string Network(const std::string& body) { return "version = 1\n[network]\n" + body; }

std::string NetRule(const std::string& on, const std::string& match) {
  return "version = 1\n[[rule]]\nid = \"r\"\non = " + on + "\nmatch = " + match +
         "\ndecision = \"allow\"\n";
}

}  // namespace

TEST_CASE("A profile that says nothing about [network] has no network", "[policy][network]") {
  TempDir dir;
  const Profile profile = MustLoad(dir.Write("p.toml", "version = 1\n"));
  CHECK(profile.network.mode == NetworkMode::kNone);
  CHECK_FALSE(profile.network.mode_set);
  CHECK(profile.network.allow.empty());
  CHECK(profile.network.default_decision == DefaultDecision::kDeny);
  CHECK(profile.network.hosts.empty());
  CHECK(profile.effective_toml.find("[network]\nallow = []\ndefault = \"deny\"\nhosts = {}\n"
                                    "mode = \"none\"\n") != std::string::npos);
}

TEST_CASE("[network] is read as written", "[policy][network]") {
  TempDir dir;
  const std::string path = dir.Write(
      "p.toml", Network("mode = \"proxy\"\n"
                        "allow = [\"github.com:443\", \"*.example.org\", \"[::1]:8000-8999\",\n"
                        "         \"10.0.0.0/8:5432\", \"github.com:443\"]\n"
                        "default = \"allow\"\n"
                        "hosts = { \"API.Staging.test\" = \"127.0.0.1\", db = \"::ffff:10.1.2.3\","
                        " v6 = \"FD00::0:1\" }\n"));
  const Profile profile = MustLoad(path);
  CHECK(profile.network.mode == NetworkMode::kProxy);
  CHECK(profile.network.mode_set);
  // A repeated entry is dropped, as in [filesystem].
  CHECK(AllowTexts(profile) ==
        Texts{"github.com:443", "*.example.org", "[::1]:8000-8999", "10.0.0.0/8:5432"});
  CHECK(profile.network.allow[1].where.line == 4);
  CHECK(profile.network.allow[1].where.column == 28);
  CHECK(profile.network.default_decision == DefaultDecision::kAllow);
  // Names in lower case, addresses canonical; a mapped IPv4 address in its IPv4 form.
  Hosts hosts = profile.network.hosts;
  std::sort(hosts.begin(), hosts.end());
  CHECK(hosts == Hosts{{"api.staging.test", "127.0.0.1"}, {"db", "10.1.2.3"}, {"v6", "fd00::1"}});
  CHECK(profile.network.where.file == path);
  CHECK(profile.network.where.line == 2);

  for (const char* mode : {"none", "host"}) {
    const Profile other =
        MustLoad(dir.Write("m.toml", Network("mode = \"" + std::string(mode) + "\"\n")));
    CHECK(aarm::policy::NetworkModeName(other.network.mode) == mode);
  }
}

TEST_CASE("[network] errors name the place", "[policy][network]") {
  TempDir dir;
  CHECK(ErrorFor(dir, "version = 1\nnetwork = 5\n") == "P:2:11: network must be a table, not an integer");
  CHECK(ErrorFor(dir, Network("mdoe = \"none\"\n")) ==
        "P:3:1: unknown key 'mdoe' in [network]; did you mean 'mode'?");
  CHECK(ErrorFor(dir, Network("mode = \"open\"\n")) ==
        "P:3:8: network.mode must be one of 'none', 'proxy', 'host', not 'open'");
  CHECK(ErrorFor(dir, Network("mode = \"proxi\"\n")) ==
        "P:3:8: network.mode must be one of 'none', 'proxy', 'host', not 'proxi'; did you mean "
        "'proxy'?");
  CHECK(ErrorFor(dir, Network("default = \"step_up\"\n")) ==
        "P:3:11: network.default = \"step_up\" is not supported by this version of aarm yet");
  CHECK(ErrorFor(dir, Network("mode = 5\n")) == "P:3:8: network.mode must be a string, not an integer");
  CHECK(ErrorFor(dir, Network("default = \"\"\n")) == "P:3:11: network.default is empty");
  CHECK(ErrorFor(dir, Network("default = \"maybe\"\n")) ==
        "P:3:11: network.default must be one of 'allow', 'deny', not 'maybe'");

  CHECK(ErrorFor(dir, Network("allow = \"github.com\"\n")) ==
        "P:3:9: network.allow must be an array of \"host[:port]\" strings, not a string");
  CHECK(ErrorFor(dir, Network("allow = [443]\n")) ==
        "P:3:10: each entry of network.allow must be a string, not an integer");
  auto allow = [&](const std::string& entry) {
    return ErrorFor(dir, Network("allow = [\"ok.test\", \"" + entry + "\"]\n"));
  };
  CHECK(allow("") == "P:3:21: network.allow entry '' is empty");
  CHECK(allow("!evil.test") == "P:3:21: network.allow entry '!evil.test' cannot be negated: an "
                               "allow entry only allows (a [[rule]] denies)");
  CHECK(allow("github.com:") == "P:3:21: network.allow entry 'github.com:' has an empty port "
                                "after its ':'");
  CHECK(allow(":443") == "P:3:21: network.allow entry ':443' has no host before its ':'");
  CHECK(allow("github.com:https") ==
        "P:3:21: network.allow entry 'github.com:https' has the port 'https', which is not a port "
        "(0 to 65535) or a range of them ('8000-8999')");
  CHECK(allow("github.com:70000") ==
        "P:3:21: network.allow entry 'github.com:70000' has the port '70000', which is not a port "
        "(0 to 65535) or a range of them ('8000-8999')");
  CHECK(allow("github.com:9-1") ==
        "P:3:21: network.allow entry 'github.com:9-1' has the port '9-1', which is a reversed "
        "range; write the lower port first");
  CHECK(allow("::1") == "P:3:21: network.allow entry '::1' is an IPv6 address without brackets; "
                        "write '[ADDRESS]' or '[ADDRESS]:PORT'");
  CHECK(allow("[::1") == "P:3:21: network.allow entry '[::1' has a '[' that is never closed");
  CHECK(allow("[github.com]:443") == "P:3:21: network.allow entry '[github.com]:443' has brackets "
                                     "around something that is not an IPv6 address");
  CHECK(allow("[::1]443") ==
        "P:3:21: network.allow entry '[::1]443' has something other than ':PORT' after its ']'");
  CHECK(allow("[::g]:443") == "P:3:21: network.allow entry '[::g]:443' has the host '::g', which "
                              "is not an IPv6 address or range (fd00::1, fd00::/8)");
  CHECK(allow("github..com") == "P:3:21: network.allow entry 'github..com' has an empty label (a "
                                "leading, trailing or doubled '.')");
  CHECK(allow("git hub.com:443") ==
        "P:3:21: network.allow entry 'git hub.com:443' has the host 'git hub.com', which has the "
        "character ' '; a host name holds letters, digits, '-', '_' and '.' (and a glob '*', "
        "'?', '[...]')");
  CHECK(allow("10.0.0.1/8") == "P:3:21: network.allow entry '10.0.0.1/8' has bits set after its "
                               "/8 prefix; write '10.0.0.0/8'");
  CHECK(allow("**x.test") == "P:3:21: network.allow entry '**x.test' has '**' inside the label "
                             "'**x'; '**' stands alone between dots ('**.example.com'), '*' "
                             "matches within a label");
  CHECK(allow("x[a.b].test:443") ==
        "P:3:21: network.allow entry 'x[a.b].test:443' has the host 'x[a.b].test', which has '.' "
        "inside a class; labels are matched one by one");
  CHECK(allow("[a-b+].test") == "P:3:21: network.allow entry '[a-b+].test' has the character '+' "
                                "in a class; a host name holds letters, digits, '-' and '_'");
  CHECK(allow("[a.b].test") == "P:3:21: network.allow entry '[a.b].test' has brackets around "
                               "something that is not an IPv6 address");
  CHECK(allow("caf\u00e9.test") ==
        "P:3:21: network.allow entry 'caf\xc3\xa9.test' has a character outside ASCII; write an "
        "internationalised name in its xn-- form");
  CHECK(allow("192.168.1.*:22") ==
        "P:3:21: network.allow entry '192.168.1.*:22' has the host '192.168.1.*', which looks "
        "like an IPv4 address but is not one; match addresses with a literal address or a range "
        "such as '192.168.0.0/16'");

  CHECK(ErrorFor(dir, Network("hosts = [\"a\"]\n")) ==
        "P:3:9: network.hosts must be a table, not an array");
  CHECK(ErrorFor(dir, Network("hosts = { \"*.test\" = \"127.0.0.1\" }\n")) ==
        "P:3:11: network.hosts name '*.test' is not a host name (letters, digits, '-' and '_' in "
        "labels separated by '.')");
  CHECK(ErrorFor(dir, Network("hosts = { \"a.test\" = \"localhost\" }\n")) ==
        "P:3:22: network.hosts value for 'a.test' must be an IP address, not 'localhost'");
  CHECK(ErrorFor(dir, Network("hosts = { \"a.test\" = 1 }\n")) ==
        "P:3:22: network.hosts value for 'a.test' must be an IP address, not an integer");
  CHECK(ErrorFor(dir, Network("hosts = { \"a.test\" = \"10.0.0.0/8\" }\n")) ==
        "P:3:22: network.hosts value for 'a.test' must be an IP address, not '10.0.0.0/8'");
  CHECK(ErrorFor(dir, Network("hosts = { \"a.test\" = \"1.2.3.4\", \"A.test\" = \"1.2.3.5\" }\n")) ==
        "P:3:33: network.hosts names 'a.test' twice (names are compared ignoring case)");
}

TEST_CASE("extends: [network] keys override, allow lists and hosts merge", "[policy][network]") {
  TempDir dir;
  dir.Write("base.toml", Network("mode = \"proxy\"\nallow = [\"a.test:443\", \"b.test\"]\n"
                                 "hosts = { \"x.test\" = \"10.0.0.1\", \"y.test\" = \"10.0.0.2\" }\n"));
  const Profile child = MustLoad(dir.Write(
      "child.toml", "version = 1\nextends = \"base.toml\"\n[network]\n"
                    "allow = [\"c.test\", \"a.test:443\"]\ndefault = \"allow\"\n"
                    "hosts = { \"Y.test\" = \"10.0.0.9\", \"z.test\" = \"10.0.0.3\" }\n"));
  CHECK(child.network.mode == NetworkMode::kProxy);  // inherited
  CHECK(child.network.mode_set);
  CHECK(AllowTexts(child) == Texts{"a.test:443", "b.test", "c.test"});
  CHECK(child.network.default_decision == DefaultDecision::kAllow);
  Hosts hosts = child.network.hosts;
  std::sort(hosts.begin(), hosts.end());
  CHECK(hosts == Hosts{{"x.test", "10.0.0.1"}, {"y.test", "10.0.0.9"}, {"z.test", "10.0.0.3"}});
  CHECK(child.network.where.file == dir.Path() + "/child.toml");

  const Profile closed = MustLoad(dir.Write(
      "closed.toml", "version = 1\nextends = \"base.toml\"\n[network]\nmode = \"none\"\n"));
  CHECK(closed.network.mode == NetworkMode::kNone);
  CHECK(AllowTexts(closed) == Texts{"a.test:443", "b.test"});

  // A child without [network] keeps the base's place.
  const Profile quiet =
      MustLoad(dir.Write("quiet.toml", "version = 1\nextends = \"base.toml\"\n"));
  CHECK(quiet.network.where.file == dir.Path() + "/base.toml");
}

TEST_CASE("The effective [network] loads again to the same settings", "[policy][network]") {
  TempDir dir;
  for (const std::string& source :
       {ShippedDir() + "/default.toml", ShippedDir() + "/readonly.toml",
        dir.Write("p.toml", Network("mode = \"host\"\nallow = [\"[fd00::/8]:1-1024\", \"*.t\"]\n"
                                    "hosts = { \"api.staging.test\" = \"127.0.0.1\" }\n") +
                                "[[rule]]\nid = \"r\"\non = \"net.connect\"\n"
                                "match = { host = [\"!*.github.com\", \"10.0.0.0/8\"], "
                                "port = [443, \"8000-8999\"] }\ndecision = \"deny\"\n")}) {
    INFO(source);
    const Profile original = MustLoad(source);
    const Profile reloaded = MustLoad(dir.Write("effective.toml", original.effective_toml));
    CHECK(reloaded.network.mode == original.network.mode);
    CHECK(AllowTexts(reloaded) == AllowTexts(original));
    CHECK(reloaded.network.default_decision == original.network.default_decision);
    CHECK(reloaded.network.hosts == original.network.hosts);
    REQUIRE(reloaded.rules.size() == original.rules.size());
    for (size_t i = 0; i < original.rules.size(); ++i) {
      CHECK(reloaded.rules[i].match.port == original.rules[i].match.port);
      CHECK(reloaded.rules[i].match.host.size() == original.rules[i].match.host.size());
    }
    CHECK(reloaded.effective_toml == original.effective_toml);
  }
}

TEST_CASE("The shipped profiles: default by proxy to a short list, readonly without network",
          "[policy][network]") {
  const Profile defaults = MustLoad(ShippedDir() + "/default.toml");
  CHECK(defaults.network.mode == NetworkMode::kProxy);
  CHECK(defaults.network.default_decision == DefaultDecision::kDeny);
  const Texts allow = AllowTexts(defaults);
  for (const char* entry : {"github.com:443", "*.githubusercontent.com:443", "pypi.org:443",
                            "files.pythonhosted.org:443", "registry.npmjs.org:443",
                            "crates.io:443", "deb.debian.org:80"}) {
    CHECK(std::find(allow.begin(), allow.end(), entry) != allow.end());
  }
  const Profile readonly = MustLoad(ShippedDir() + "/readonly.toml");
  CHECK(readonly.network.mode == NetworkMode::kNone);
  CHECK(readonly.network.mode_set);
}

TEST_CASE("Rules read host and port", "[policy][network]") {
  TempDir dir;
  const Profile profile = MustLoad(dir.Write(
      "p.toml", NetRule("[\"net.connect\", \"net.send\"]",
                        "{ host = [\"*.github.com\", \"!10.0.0.0/8\", \"::1\"], "
                        "port = [443, \"8000-8999\"] }") +
                    "[[rule]]\nid = \"s\"\non = \"net.bind\"\nmatch = { host = \"x.test\", "
                    "port = \"22\" }\ndecision = \"deny\"\n"
                    "[[rule]]\nid = \"u\"\non = \"net.connect\"\n"
                    "match = { path = \"{tmp}/**\" }\ndecision = \"allow\"\n"));
  REQUIRE(profile.rules.size() == 3);
  std::vector<std::string> hosts;
  for (const RulePattern& p : profile.rules[0].match.host) hosts.push_back(p.text);
  CHECK(hosts == Texts{"*.github.com", "!10.0.0.0/8", "::1"});
  CHECK(profile.rules[0].match.port == std::vector<PortRange>{{443, 443}, {8000, 8999}});
  CHECK(profile.rules[1].match.port == std::vector<PortRange>{{22, 22}});
  CHECK(profile.rules[2].match.path.size() == 1);
  CHECK(profile.effective_toml.find("port = [ 443, \"8000-8999\" ]") != std::string::npos);
}

TEST_CASE("Rule host and port errors name the place", "[policy][network]") {
  TempDir dir;
  auto host = [&](const std::string& value) {
    return ErrorFor(dir, NetRule("\"net.connect\"", "{ host = " + value + " }"));
  };
  CHECK(host("5") == "P:5:18: rule.match.host must be a host pattern or an array of them, not an "
                     "integer");
  CHECK(host("[]") == "P:5:18: rule.match.host is an empty array");
  CHECK(host("\"\"") == "P:5:18: rule.match.host '' is empty");
  CHECK(host("\"!\"") == "P:5:18: rule.match.host '!' has nothing after its '!'");
  CHECK(host("[\"ok.test\", \"a..b\"]") ==
        "P:5:30: rule.match.host entry 'a..b' has an empty label (a leading, trailing or doubled "
        "'.')");
  CHECK(host("\"a.**x.test\"") ==
        "P:5:18: rule.match.host 'a.**x.test' has '**' inside the label '**x'; '**' stands alone "
        "between dots ('**.example.com'), '*' matches within a label");
  CHECK(host("\"[a.b]\"") ==
        "P:5:18: rule.match.host '[a.b]' has '.' inside a class; labels are matched one by one");
  CHECK(host("\"[ab\"") == "P:5:18: rule.match.host '[ab' has a '[' that is never closed");
  CHECK(host("\"[z-a].test\"") ==
        "P:5:18: rule.match.host '[z-a].test' has the reversed range 'z-a' in a class");
  CHECK(host("\"caf\\u00e9.test\"") ==
        "P:5:18: rule.match.host 'caf\xc3\xa9.test' has a character outside ASCII; write an "
        "internationalised name in its xn-- form");
  CHECK(host("\"a/b\"") == "P:5:18: rule.match.host 'a/b' is not an IPv4 address or range "
                           "(a.b.c.d, a.b.c.d/N)");
  CHECK(host("\"10.0.0.0/33\"") ==
        "P:5:18: rule.match.host '10.0.0.0/33' has a prefix length that is not a number from 0 "
        "to 32");
  CHECK(host("\"fd00::/129\"") ==
        "P:5:18: rule.match.host 'fd00::/129' has a prefix length that is not a number from 0 "
        "to 128");
  CHECK(host("\"fd00::1/8\"") ==
        "P:5:18: rule.match.host 'fd00::1/8' has bits set after its /8 prefix; write 'fd00::/8'");
  CHECK(host("\"::ffff:10.0.0.0/64\"") ==
        "P:5:18: rule.match.host '::ffff:10.0.0.0/64' is an IPv4-mapped range with a prefix "
        "shorter than /96");
  CHECK(host("\"10.1\"") ==
        "P:5:18: rule.match.host '10.1' looks like an IPv4 address but is not one; match "
        "addresses with a literal address or a range such as '192.168.0.0/16'");

  auto port = [&](const std::string& value) {
    return ErrorFor(dir, NetRule("\"net.connect\"", "{ port = " + value + " }"));
  };
  CHECK(port("70000") == "P:5:18: rule.match.port 70000 is not a port (0 to 65535)");
  CHECK(port("-1") == "P:5:18: rule.match.port -1 is not a port (0 to 65535)");
  CHECK(port("\"http\"") == "P:5:18: rule.match.port 'http' is not a port (0 to 65535) or a "
                            "range of them ('8000-8999')");
  CHECK(port("\"9-1\"") ==
        "P:5:18: rule.match.port '9-1' is a reversed range; write the lower port first");
  CHECK(port("[]") == "P:5:18: rule.match.port is an empty array");
  CHECK(port("[443, true]") == "P:5:24: rule.match.port entry must be a port (443), a range "
                               "(\"8000-8999\") or an array of them, not a boolean");
  CHECK(port("1.5") == "P:5:18: rule.match.port must be a port (443), a range (\"8000-8999\") or "
                       "an array of them, not a float");

  // host and port are for net.* alone; from, to, argv and flags never are.
  CHECK(ErrorFor(dir, NetRule("[\"net.connect\", \"file.read\"]", "{ host = \"a.test\" }")) ==
        "P:5:18: rule.match.host does not apply to file.read (in rule.on); it applies to "
        "net.connect, net.bind, net.send");
  CHECK(ErrorFor(dir, NetRule("\"net.connect\"", "{ argv = [\"x\"] }")) ==
        "P:5:18: rule.match.argv does not apply to net.connect (in rule.on); it applies to "
        "process.exec");
  CHECK(ErrorFor(dir, NetRule("\"net.send\"", "{ flags = [\"O_RDONLY\"] }")) ==
        "P:5:19: rule.match.flags does not apply to net.send (in rule.on); it applies to "
        "file.read, file.write, file.create");
  CHECK(ErrorFor(dir, NetRule("\"net.bind\"", "{ to = \"/x\" }")) ==
        "P:5:16: rule.match.to does not apply to net.bind (in rule.on); it applies to "
        "file.rename, file.link");
  CHECK(ErrorFor(dir, NetRule("\"net.connect\"", "{ hots = \"x\" }")) ==
        "P:5:11: unknown key 'hots' in [rule.match]; did you mean 'host'?");
}

TEST_CASE("A host pattern that needs more than a DNS name holds is refused", "[policy][network]") {
  // NormalizeHostName returns no name with a label over 63 characters or over 253 in all, so
  // such a pattern would silently match nothing.
  TempDir dir;
  const std::string label63(63, 'a');
  const std::string label64(64, 'a');
  // 253 characters: the longest name; one more label character makes 254.
  const std::string longest = label63 + "." + std::string(63, 'b') + "." + std::string(63, 'c') +
                              "." + std::string(61, 'd');
  const std::string too_long = longest + "d";
  auto allow = [&](const std::string& entry) {
    return ErrorFor(dir, Network("allow = [\"ok.test\", \"" + entry + "\"]\n"));
  };
  const std::string label_limit = "a DNS label holds at most 63 characters";
  CHECK(allow(label64 + ".test") == "P:3:21: network.allow entry '" + label64 +
                                        ".test' has the label '" + label64 +
                                        "' of 64 characters; " + label_limit);
  CHECK(allow("api." + label64 + ":443") ==
        "P:3:21: network.allow entry 'api." + label64 + ":443' has the host 'api." + label64 +
            "', which has the label '" + label64 + "' of 64 characters; " + label_limit);
  // Glob characters: '*' matches no character, '?' and a class one each.
  CHECK(allow("x*" + label63 + ".test") ==
        "P:3:21: network.allow entry 'x*" + label63 + ".test' has the label 'x*" + label63 +
            "', which matches no fewer than 64 characters; " + label_limit);
  CHECK(allow("[ab]?" + std::string(62, 'a') + ".test") ==
        "P:3:21: network.allow entry '[ab]?" + std::string(62, 'a') + ".test' has the label '[ab]?" +
            std::string(62, 'a') + "', which matches no fewer than 64 characters; " + label_limit);
  CHECK(allow(too_long) == "P:3:21: network.allow entry " + QuoteForDisplay(too_long) +
                               " is 254 characters; a host name holds at most 253 characters");
  CHECK(allow("**." + too_long + ":443") ==
        "P:3:21: network.allow entry " + QuoteForDisplay("**." + too_long + ":443") +
            " has the host " + QuoteForDisplay("**." + too_long) +
            ", which matches no name shorter than 254 characters; a host name holds at most 253 "
            "characters");

  auto host = [&](const std::string& value) {
    return ErrorFor(dir, NetRule("\"net.connect\"", "{ host = " + value + " }"));
  };
  CHECK(host("\"" + label64 + ".test\"") == "P:5:18: rule.match.host '" + label64 +
                                                ".test' has the label '" + label64 +
                                                "' of 64 characters; " + label_limit);
  CHECK(host("[\"ok.test\", \"!*." + label64 + "\"]") ==
        "P:5:30: rule.match.host entry '!*." + label64 + "' has the label '" + label64 +
            "' of 64 characters; " + label_limit);
  CHECK(host("\"" + too_long + "\"") ==
        "P:5:18: rule.match.host " + QuoteForDisplay(too_long) +
            " is 254 characters; a host name holds at most 253 characters");

  CHECK(ErrorFor(dir, Network("hosts = { \"" + label64 + ".test\" = \"127.0.0.1\" }\n")) ==
        "P:3:11: network.hosts name '" + label64 + ".test' has the label '" + label64 +
            "' of 64 characters; " + label_limit);
  CHECK(ErrorFor(dir, Network("hosts = { \"" + too_long + "\" = \"127.0.0.1\" }\n")) ==
        "P:3:11: network.hosts name " + QuoteForDisplay(too_long) +
            " is 254 characters; a host name holds at most 253 characters");

  // At the limits, and globs that can match within them, load.
  const Profile limits = MustLoad(dir.Write(
      "limits.toml",
      Network("allow = [\"" + label63 + ".test\", \"" + longest + ":443\", \"*" + label63 +
              ".test\", \"**." + longest + "\", \"*.*.*.*.*\"]\nhosts = { \"" + longest +
              "\" = \"127.0.0.1\" }\n") +
          "[[rule]]\nid = \"r\"\non = \"net.connect\"\nmatch = { host = \"!" + longest +
          "\" }\ndecision = \"deny\"\n"));
  CHECK(limits.network.allow.size() == 5);
  CHECK(limits.network.hosts.size() == 1);
  CHECK(limits.rules.size() == 1);
}
