// Engine::Decide for net.* actions: host globs, address ranges, ports, the network precedence,
// unix sockets; CouldConnectTo and PinnedAddress.
#include <catch2/catch.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "aarm/policy/engine.hpp"
#include "unit/policy/engine_test_support.hpp"

using aarm::policy::Action;
using aarm::policy::ActionKind;
using aarm::policy::Decision;
using aarm::policy::DefaultDecision;
using aarm::policy::Engine;
using aarm::policy::NetworkMode;
using aarm::policy::PortRange;
using aarm::policy::Profile;
using aarm::policy::RuleDecision;
using aarm::policy::RuleMatch;
using aarm::policy::RuleSpec;
using aarm::policy::Verdict;
using namespace aarm::policy::testing;

namespace {

struct NetProfile {
  NetworkMode mode = NetworkMode::kProxy;
  std::vector<std::string> allow;
  std::vector<RuleSpec> rules;
  std::vector<std::pair<std::string, std::string>> hosts;
  DefaultDecision network_default = DefaultDecision::kDeny;
  DefaultDecision session_default = DefaultDecision::kDeny;
};

Engine Build(const NetProfile& spec) {
  Profile profile;
  profile.path = "/test.toml";
  profile.session.default_decision = spec.session_default;
  profile.filesystem.write = {"{project}", "{tmp}"};
  profile.filesystem.hide = {"{project}/.secrets"};
  profile.filesystem.read = {"/usr", "/tmp/host-services"};
  profile.filesystem.readonly = {"{project}/.git/hooks"};
  profile.network.mode = spec.mode;
  profile.network.mode_set = true;
  for (const std::string& entry : spec.allow) profile.network.allow.push_back({entry, {}});
  profile.network.default_decision = spec.network_default;
  profile.network.hosts = spec.hosts;
  profile.rules = spec.rules;
  return MustCompile(profile);
}

Action Net(ActionKind kind, std::string host, std::string address, uint16_t port,
           std::string protocol = "tcp") {
  Action action;
  action.kind = kind;
  action.host = std::move(host);
  action.address = std::move(address);
  action.port = port;
  action.protocol = std::move(protocol);
  return action;
}

Action Connect(std::string host, std::string address, uint16_t port = 443) {
  return Net(ActionKind::kNetConnect, std::move(host), std::move(address), port);
}

Action UnixConnect(std::string path) {
  Action action = Net(ActionKind::kNetConnect, "", "", 0, "unix");
  action.path = std::move(path);
  return action;
}

RuleMatch HostMatch(std::initializer_list<std::string> hosts, std::vector<PortRange> ports = {}) {
  RuleMatch match;
  match.host = Patterns(hosts);
  match.port = std::move(ports);
  return match;
}

RuleMatch PathMatch(std::initializer_list<std::string> paths) {
  RuleMatch match;
  match.path = Patterns(paths);
  return match;
}

RuleSpec Rule(std::string id, RuleMatch match, RuleDecision decision,
              std::vector<ActionKind> on = {ActionKind::kNetConnect}) {
  return MakeRule(std::move(id), std::move(on), std::move(match), decision);
}

// An engine with one allow rule on net.connect matching `hosts`, everything else denied.
Engine AllowOnly(std::initializer_list<std::string> hosts, std::vector<PortRange> ports = {}) {
  return Build({.rules = {Rule("r", HostMatch(hosts, std::move(ports)), RuleDecision::kAllow)}});
}

// An engine whose rule ("all"), entries and default allow every connection: what it denies,
// the built-ins deny.
Engine AllowingEverything() {
  return Build({.allow = {"**"},
                .rules = {Rule("all", HostMatch({"**"}), RuleDecision::kAllow)},
                .network_default = DefaultDecision::kAllow});
}

bool Allowed(const Engine& engine, const Action& action) {
  return engine.Decide(action).verdict == Verdict::kAllow;
}

// Whether a connection to `name` (no address yet) is allowed by a rule on `pattern`.
bool NameMatches(const std::string& pattern, const std::string& name) {
  return Allowed(AllowOnly({pattern}), Connect(name, ""));
}

bool AddressMatches(const std::string& pattern, const std::string& address) {
  return Allowed(AllowOnly({pattern}), Connect("", address));
}

void CheckDecision(const Decision& decision, Verdict verdict, bool forbidden,
                   const std::string& rule) {
  CHECK(decision.verdict == verdict);
  CHECK(decision.forbidden == forbidden);
  CHECK(decision.rule == rule);
}

}  // namespace

TEST_CASE("Host globs: '*' within a label, '**' across labels, any case", "[policy][network]") {
  CHECK(NameMatches("*.github.com", "api.github.com"));
  CHECK_FALSE(NameMatches("*.github.com", "github.com"));
  CHECK_FALSE(NameMatches("*.github.com", "a.b.github.com"));
  CHECK_FALSE(NameMatches("*.github.com", "evilgithub.com"));
  CHECK_FALSE(NameMatches("*.github.com", "github.com.evil.test"));
  CHECK(NameMatches("**.github.com", "github.com"));
  CHECK(NameMatches("**.github.com", "a.b.github.com"));
  CHECK_FALSE(NameMatches("**.github.com", "evilgithub.com"));
  CHECK(NameMatches("**", "anything.at.all"));
  CHECK(NameMatches("*", "localhost"));
  CHECK_FALSE(NameMatches("*", "a.test"));
  CHECK(NameMatches("api-*.example.org", "api-eu.example.org"));
  CHECK(NameMatches("git?ub.com", "github.com"));
  CHECK(NameMatches("[gh]ithub.com", "hithub.com"));
  CHECK_FALSE(NameMatches("[!g]ithub.com", "github.com"));
  CHECK(NameMatches("a.**.z", "a.z"));
  CHECK(NameMatches("a.**.z", "a.b.c.z"));
  CHECK(NameMatches("*.*", "example.com"));
  CHECK_FALSE(NameMatches("*.*", "a.example.com"));
  CHECK(NameMatches("s3.*.amazonaws.com", "s3.eu-west-1.amazonaws.com"));
  // Names compare without case and without a trailing dot.
  CHECK(NameMatches("*.GitHub.com", "API.GITHUB.COM."));
}

TEST_CASE("Host globs at the DNS limits match the names at those limits", "[policy][network]") {
  const std::string label63(63, 'x');
  const std::string longest = label63 + "." + std::string(63, 'b') + "." + std::string(63, 'c') +
                              "." + std::string(61, 'd');
  CHECK(NameMatches(label63 + ".test", label63 + ".test"));
  CHECK(NameMatches("*" + label63 + ".test", label63 + ".test"));
  CHECK(NameMatches("?" + std::string(62, 'x') + ".test", label63 + ".test"));
  CHECK(NameMatches(longest, longest));
  CHECK(NameMatches("**." + longest, longest));
}

TEST_CASE("What is not a host name matches no name pattern", "[policy][network]") {
  // A Host header or SNI with junk in it is no name: "**" does not allow it.
  for (const char* junk : {"a b.test", "a/b.test", "a..b", "", "github.com:443", "caf\xc3\xa9.test",
                           "1.2.3", std::string(254, 'a').c_str()}) {
    INFO(junk);
    CHECK_FALSE(NameMatches("**", junk));
  }
}

TEST_CASE("Address ranges: IPv4 and IPv6 CIDR and literal addresses", "[policy][network]") {
  CHECK(AddressMatches("10.0.0.0/8", "10.255.1.1"));
  CHECK_FALSE(AddressMatches("10.0.0.0/8", "11.0.0.1"));
  CHECK(AddressMatches("172.16.0.0/12", "172.31.255.255"));
  CHECK_FALSE(AddressMatches("172.16.0.0/12", "172.32.0.0"));
  CHECK_FALSE(AddressMatches("172.16.0.0/12", "172.15.255.255"));
  CHECK(AddressMatches("0.0.0.0/0", "203.0.113.9"));
  CHECK_FALSE(AddressMatches("0.0.0.0/0", "2001:db8::1"));
  CHECK(AddressMatches("203.0.113.9", "203.0.113.9"));
  CHECK_FALSE(AddressMatches("203.0.113.9", "203.0.113.10"));
  CHECK(AddressMatches("2001:db8::/32", "2001:db8:ffff::1"));
  CHECK_FALSE(AddressMatches("2001:db8::/32", "2001:db9::1"));
  CHECK(AddressMatches("2001:db8::/33", "2001:db8:7fff::1"));
  CHECK_FALSE(AddressMatches("2001:db8::/33", "2001:db8:8000::1"));
  CHECK(AddressMatches("::/0", "2001:db8::1"));
  CHECK_FALSE(AddressMatches("::/0", "203.0.113.9"));
  CHECK(AddressMatches("2001:DB8::1", "2001:db8:0:0::1"));
  // An address pattern never matches a name, nor a name pattern an address.
  CHECK_FALSE(NameMatches("10.0.0.0/8", "ten.test"));
  CHECK_FALSE(AddressMatches("**", "10.0.0.1"));
}

TEST_CASE("An IPv4-mapped IPv6 address is its IPv4 form, written either way", "[policy][network]") {
  CHECK(AddressMatches("10.0.0.0/8", "::ffff:10.1.2.3"));
  CHECK(AddressMatches("::ffff:10.0.0.0/104", "10.1.2.3"));
  CHECK_FALSE(AddressMatches("::ffff:10.0.0.0/104", "11.1.2.3"));
  CHECK(AddressMatches("::ffff:10.1.2.3", "10.1.2.3"));
  CHECK_FALSE(AddressMatches("::/0", "::ffff:10.1.2.3"));
  // A deny rule on an IPv4 range is not sidestepped by the mapped form.
  const Engine engine =
      Build({.allow = {"**"},
             .rules = {Rule("no-ten", HostMatch({"10.0.0.0/8"}), RuleDecision::kDeny)},
             .network_default = DefaultDecision::kAllow});
  CheckDecision(engine.Decide(Connect("", "::ffff:10.9.9.9")), Verdict::kDeny, false, "no-ten");
  CheckDecision(engine.Decide(Connect("", "::ffff:127.0.0.1")), Verdict::kDeny, true,
                "network.host-loopback");
}

TEST_CASE("NAT64 and IPv4-compatible addresses are held by the IPv4 ranges they reach",
          "[policy][network]") {
  // The well-known NAT64 prefix, a /96 of the local-use one, and ::a.b.c.d.
  for (const char* address : {"64:ff9b::10.1.2.3", "64:ff9b::a01:203", "64:ff9b:1::10.1.2.3",
                              "64:ff9b:1:abcd::a01:203", "::10.1.2.3"}) {
    INFO(address);
    CHECK(AddressMatches("10.0.0.0/8", address));
    CHECK(AddressMatches("10.1.2.3", address));
    CHECK(AddressMatches("::ffff:10.0.0.0/104", address));
    CHECK_FALSE(AddressMatches("11.0.0.0/8", address));
    // The IPv6 address is still itself for IPv6 ranges.
    CHECK(AddressMatches("::/0", address));
  }
  CHECK(AddressMatches("64:ff9b::/96", "64:ff9b::10.1.2.3"));
  // An IPv6 range on the translated addresses does not hold the plain IPv4 address.
  CHECK_FALSE(AddressMatches("64:ff9b::/96", "10.1.2.3"));
  // Not translations: the NAT64 prefix with other bits set before the last 32, 6to4, ::/104
  // (IPv6's own :: and ::1 are there), and ordinary IPv6 addresses.
  for (const char* address : {"64:ff9b:0:1::a01:203", "64:ff9b:2::a01:203", "2002:a01:203::1",
                              "::0.1.2.3", "2001:db8::a01:203", "fd00::a01:203"}) {
    INFO(address);
    CHECK_FALSE(AddressMatches("0.0.0.0/0", address));
  }
  // A deny rule on an IPv4 range is not sidestepped through a translator.
  const Engine engine =
      Build({.allow = {"**"},
             .rules = {Rule("no-ten", HostMatch({"10.0.0.0/8"}), RuleDecision::kDeny)},
             .network_default = DefaultDecision::kAllow});
  CheckDecision(engine.Decide(Connect("", "64:ff9b::10.9.9.9")), Verdict::kDeny, false, "no-ten");
  CheckDecision(engine.Decide(Connect("", "::10.9.9.9")), Verdict::kDeny, false, "no-ten");
  // Nor a negated range in one.
  const Engine outside = Build(
      {.rules = {Rule("only-ten", HostMatch({"!10.0.0.0/8"}), RuleDecision::kDeny),
                 Rule("rest", RuleMatch{}, RuleDecision::kAllow)}});
  CheckDecision(outside.Decide(Connect("", "64:ff9b::11.0.0.1")), Verdict::kDeny, false,
                "only-ten");
  CheckDecision(outside.Decide(Connect("", "64:ff9b::10.0.0.1")), Verdict::kAllow, false, "rest");
}

TEST_CASE("The built-in forbidden addresses hold their NAT64 and IPv4-compatible forms",
          "[policy][network]") {
  const Engine engine = AllowingEverything();
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"64:ff9b::169.254.169.254", "network.metadata"},
      {"64:ff9b::a9fe:a9fe", "network.metadata"},
      {"64:ff9b:1::169.254.169.254", "network.metadata"},
      {"::169.254.169.254", "network.metadata"},
      {"64:ff9b::169.254.1.1", "network.link-local"},
      {"64:ff9b::127.0.0.1", "network.host-loopback"},
      {"64:ff9b:1:ffff::127.1.2.3", "network.host-loopback"},
      {"::127.0.0.1", "network.host-loopback"},
      {"64:ff9b::0.0.0.0", "network.host-loopback"},
  };
  for (const auto& [address, rule] : cases) {
    INFO(address);
    CheckDecision(engine.Decide(Connect("x.test", address)), Verdict::kDeny, true, rule);
  }
  CHECK(engine.Decide(Connect("", "64:ff9b::169.254.169.254")).reason ==
        "64:ff9b::a9fe:a9fe is the cloud metadata service; a rule or pinned host must name it");
  // Ordinary addresses through NAT64 are ordinary.
  CheckDecision(engine.Decide(Connect("x.test", "64:ff9b::203.0.113.9")), Verdict::kAllow, false,
                "all");
  // 6to4 names a site behind an IPv4 router, not the router: not forbidden by the router's
  // address.
  CheckDecision(engine.Decide(Connect("x.test", "2002:a9fe:a9fe::1")), Verdict::kAllow, false,
                "all");
  // A profile that names the IPv4 address names its translated forms too.
  const Engine named = Build({.allow = {"127.0.0.1:9000"}});
  CheckDecision(named.Decide(Connect("", "64:ff9b::127.0.0.1", 9000)), Verdict::kAllow, false,
                "network.allow");
  CheckDecision(named.Decide(Connect("", "64:ff9b::127.0.0.1", 9001)), Verdict::kDeny, true,
                "network.host-loopback");
}

TEST_CASE("Ports: one, a range, a list", "[policy][network]") {
  const Engine engine = AllowOnly({"**"}, {{443, 443}, {8000, 8999}});
  CHECK(Allowed(engine, Connect("a.test", "", 443)));
  CHECK_FALSE(Allowed(engine, Connect("a.test", "", 444)));
  CHECK_FALSE(Allowed(engine, Connect("a.test", "", 7999)));
  CHECK(Allowed(engine, Connect("a.test", "", 8000)));
  CHECK(Allowed(engine, Connect("a.test", "", 8999)));
  CHECK_FALSE(Allowed(engine, Connect("a.test", "", 9000)));
  // A rule without a port condition takes every port.
  CHECK(Allowed(AllowOnly({"**"}), Connect("a.test", "", 1)));
}

TEST_CASE("Mode none: no network, whatever the rules, unix sockets still decided",
          "[policy][network]") {
  const Engine engine =
      Build({.mode = NetworkMode::kNone,
             .allow = {"**"},
             .rules = {Rule("all", RuleMatch{}, RuleDecision::kAllow,
                            {ActionKind::kNetConnect, ActionKind::kNetBind, ActionKind::kNetSend})},
             .network_default = DefaultDecision::kAllow,
             .session_default = DefaultDecision::kAllow});
  for (ActionKind kind : {ActionKind::kNetConnect, ActionKind::kNetBind, ActionKind::kNetSend}) {
    const Decision decision = engine.Decide(Net(kind, "a.test", "203.0.113.1", 443));
    CheckDecision(decision, Verdict::kDeny, true, "network.mode");
    CHECK(decision.reason == "network mode none");
  }
  CheckDecision(engine.Decide(Net(ActionKind::kNetSend, "", "203.0.113.1", 53, "dns")),
                Verdict::kDeny, true, "network.mode");
  CheckDecision(engine.Decide(UnixConnect("/var/run/docker.sock")), Verdict::kAllow, false, "all");
}

TEST_CASE("Forbid rules come first and nothing overrides them", "[policy][network]") {
  const Engine engine =
      Build({.allow = {"**"},
             .rules = {Rule("ok", HostMatch({"**"}), RuleDecision::kAllow),
                       Rule("never", HostMatch({"paste.test"}), RuleDecision::kForbid)},
             .hosts = {{"paste.test", "127.0.0.1"}},
             .network_default = DefaultDecision::kAllow});
  CheckDecision(engine.Decide(Connect("paste.test", "")), Verdict::kDeny, true, "never");
  CheckDecision(engine.Decide(Connect("paste.test", "127.0.0.1")), Verdict::kDeny, true, "never");
  CheckDecision(engine.Decide(Connect("other.test", "")), Verdict::kAllow, false, "ok");
}

TEST_CASE("Built-in forbidden addresses: metadata, link-local, the host's loopback",
          "[policy][network]") {
  const Engine engine = AllowingEverything();
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"169.254.169.254", "network.metadata"},  {"fd00:ec2::254", "network.metadata"},
      {"169.254.0.1", "network.link-local"},    {"169.254.255.255", "network.link-local"},
      {"fe80::1", "network.link-local"},        {"febf::1", "network.link-local"},
      {"127.0.0.1", "network.host-loopback"},   {"127.1.2.3", "network.host-loopback"},
      {"::1", "network.host-loopback"},         {"0.0.0.0", "network.host-loopback"},
      {"::", "network.host-loopback"},          {"::ffff:169.254.169.254", "network.metadata"},
  };
  for (const auto& [address, rule] : cases) {
    INFO(address);
    CheckDecision(engine.Decide(Connect("x.test", address)), Verdict::kDeny, true, rule);
    CheckDecision(engine.Decide(Net(ActionKind::kNetSend, "x.test", address, 53, "udp")),
                  Verdict::kDeny, true, rule);
  }
  CHECK(engine.Decide(Connect("x.test", "127.0.0.1")).reason ==
        "127.0.0.1 is the host's own loopback (its local services); a rule or pinned host must "
        "name it");
  CHECK(engine.Decide(Connect("x.test", "169.254.169.254")).reason ==
        "169.254.169.254 is the cloud metadata service; a rule or pinned host must name it");
  // Neighbours of the ranges are ordinary addresses.
  for (const char* address : {"169.253.255.255", "128.0.0.1", "fec0::1", "::2", "1.0.0.0"}) {
    INFO(address);
    CheckDecision(engine.Decide(Connect("x.test", address)), Verdict::kAllow, false, "all");
  }
  // Decided by name alone (before resolution) there is no address to forbid yet.
  CheckDecision(engine.Decide(Connect("x.test", "")), Verdict::kAllow, false, "all");
  // A bind names an address of the sandbox's own, not a destination.
  const Engine binds = Build({.rules = {Rule("b", RuleMatch{}, RuleDecision::kAllow,
                                             {ActionKind::kNetBind})}});
  CheckDecision(binds.Decide(Net(ActionKind::kNetBind, "", "127.0.0.1", 8080)), Verdict::kAllow,
                false, "b");
  CheckDecision(binds.Decide(Net(ActionKind::kNetBind, "", "0.0.0.0", 8080)), Verdict::kAllow,
                false, "b");
}

TEST_CASE("A forbidden address is reachable where the profile names it", "[policy][network]") {
  const Engine engine = Build(
      {.allow = {"127.0.0.1:9000", "[fe80::/10]", "rebind.test"},
       .rules = {Rule("local-api", HostMatch({"127.0.0.0/8"}, {{8080, 8080}}), RuleDecision::kAllow),
                 Rule("by-name", HostMatch({"**"}, {{7000, 7000}}), RuleDecision::kAllow),
                 Rule("negated", HostMatch({"!10.0.0.0/8"}, {{7001, 7001}}), RuleDecision::kAllow)},
       .hosts = {{"api.staging.test", "127.0.0.1"}, {"meta.test", "169.254.169.254"}}});
  // Pinned: the name's own pinned address, nothing else; still needs an allow to pass.
  CheckDecision(engine.Decide(Connect("api.staging.test", "127.0.0.1", 7000)), Verdict::kAllow,
                false, "by-name");
  CheckDecision(engine.Decide(Connect("api.staging.test", "127.0.0.1", 1)), Verdict::kDeny, false,
                "network.default");
  CheckDecision(engine.Decide(Connect("API.Staging.Test.", "127.0.0.1", 7000)), Verdict::kAllow,
                false, "by-name");
  CheckDecision(engine.Decide(Connect("api.staging.test", "127.0.0.2", 7000)), Verdict::kDeny,
                true, "network.host-loopback");
  CheckDecision(engine.Decide(Connect("meta.test", "169.254.169.254", 7000)), Verdict::kAllow,
                false, "by-name");
  // An allow rule whose address pattern holds the address, when the rule matches the action.
  CheckDecision(engine.Decide(Connect("", "127.0.0.5", 8080)), Verdict::kAllow, false,
                "local-api");
  CheckDecision(engine.Decide(Connect("x.test", "127.0.0.5", 8081)), Verdict::kDeny, true,
                "network.host-loopback");
  // A name glob or a negated range names no address: "**" on port 7000 does not open loopback.
  CheckDecision(engine.Decide(Connect("x.test", "127.0.0.1", 7000)), Verdict::kDeny, true,
                "network.host-loopback");
  CheckDecision(engine.Decide(Connect("x.test", "127.0.0.1", 7001)), Verdict::kDeny, true,
                "network.host-loopback");
  // An allow entry with an address.
  CheckDecision(engine.Decide(Connect("", "127.0.0.1", 9000)), Verdict::kAllow, false,
                "network.allow");
  CheckDecision(engine.Decide(Connect("", "127.0.0.1", 9001)), Verdict::kDeny, true,
                "network.host-loopback");
  CheckDecision(engine.Decide(Connect("", "fe80::1", 22)), Verdict::kAllow, false,
                "network.allow");
  // An allow entry by name does not follow the name to a forbidden address (DNS rebinding).
  CheckDecision(engine.Decide(Connect("rebind.test", "")), Verdict::kAllow, false,
                "network.allow");
  CheckDecision(engine.Decide(Connect("rebind.test", "127.0.0.1")), Verdict::kDeny, true,
                "network.host-loopback");
}

TEST_CASE("An exempted address still goes through the rules in order", "[policy][network]") {
  const Engine engine =
      Build({.rules = {Rule("no-local", HostMatch({"127.0.0.1"}), RuleDecision::kDeny),
                       Rule("local", HostMatch({"127.0.0.0/8"}), RuleDecision::kAllow)}});
  CheckDecision(engine.Decide(Connect("", "127.0.0.1")), Verdict::kDeny, false, "no-local");
  CheckDecision(engine.Decide(Connect("", "127.0.0.2")), Verdict::kAllow, false, "local");
}

TEST_CASE("Rules before allow entries, allow entries before the network default",
          "[policy][network]") {
  const Engine engine =
      Build({.allow = {"github.com:443", "*.pythonhosted.org", "203.0.113.0/24:22",
                       "[gh]itlab.test:8000-8099"},
             .rules = {Rule("no-gists", HostMatch({"gist.github.com"}), RuleDecision::kDeny),
                       Rule("github-ssh", HostMatch({"github.com"}, {{22, 22}}),
                            RuleDecision::kAllow),
                       Rule("no-github-80", HostMatch({"github.com"}, {{80, 80}}),
                            RuleDecision::kDeny)},
             .session_default = DefaultDecision::kAllow});
  CheckDecision(engine.Decide(Connect("gist.github.com", "140.82.1.1")), Verdict::kDeny, false,
                "no-gists");
  CheckDecision(engine.Decide(Connect("github.com", "", 22)), Verdict::kAllow, false,
                "github-ssh");
  CheckDecision(engine.Decide(Connect("github.com", "", 80)), Verdict::kDeny, false,
                "no-github-80");
  const Decision entry = engine.Decide(Connect("github.com", "140.82.1.1", 443));
  CheckDecision(entry, Verdict::kAllow, false, "network.allow");
  CHECK(entry.reason == "github.com:443");
  CheckDecision(engine.Decide(Connect("files.pythonhosted.org", "", 8443)), Verdict::kAllow, false,
                "network.allow");
  CheckDecision(engine.Decide(Connect("", "203.0.113.7", 22)), Verdict::kAllow, false,
                "network.allow");
  CheckDecision(engine.Decide(Connect("hitlab.test", "", 8099)), Verdict::kAllow, false,
                "network.allow");
  CheckDecision(engine.Decide(Connect("hitlab.test", "", 8100)), Verdict::kDeny, false,
                "network.default");
  // An entry by name needs the name; an entry by address needs the address.
  CheckDecision(engine.Decide(Connect("", "140.82.1.1", 443)), Verdict::kDeny, false,
                "network.default");
  CheckDecision(engine.Decide(Connect("ssh.test", "", 22)), Verdict::kDeny, false,
                "network.default");
  // session.default is never taken for the network.
  const Decision fallback = engine.Decide(Connect("example.com", "93.184.216.34", 443));
  CheckDecision(fallback, Verdict::kDeny, false, "network.default");
  CHECK(fallback.reason == "no rule or [network] allow entry matches");
  // Allow entries are destinations: a bind takes none of them.
  CheckDecision(engine.Decide(Net(ActionKind::kNetBind, "github.com", "", 443)), Verdict::kDeny,
                false, "network.default");
  CheckDecision(engine.Decide(Net(ActionKind::kNetSend, "github.com", "", 443, "udp")),
                Verdict::kAllow, false, "network.allow");

  const Engine open = Build({.mode = NetworkMode::kHost,
                             .network_default = DefaultDecision::kAllow});
  CheckDecision(open.Decide(Connect("", "93.184.216.34", 443)), Verdict::kAllow, false,
                "network.default");
}

TEST_CASE("Unknown names and addresses", "[policy][network]") {
  const Engine engine = Build(
      {.allow = {"**"},
       .rules = {Rule("secret-out", HostMatch({"!*.github.com"}), RuleDecision::kDeny),
                 Rule("internal", HostMatch({"!192.168.0.0/16"}, {{8443, 8443}}),
                      RuleDecision::kDeny)},
       .network_default = DefaultDecision::kAllow});
  // A negated name pattern in a denying rule holds for a connection nobody named.
  CheckDecision(engine.Decide(Connect("", "140.82.1.1")), Verdict::kDeny, false, "secret-out");
  CheckDecision(engine.Decide(Connect("api.github.com", "140.82.1.1")), Verdict::kAllow, false,
                "network.allow");
  // An address pattern waits for the address: the name alone is decided without it.
  CheckDecision(engine.Decide(Connect("api.github.com", "", 8443)), Verdict::kAllow, false,
                "network.allow");
  CheckDecision(engine.Decide(Connect("api.github.com", "10.0.0.1", 8443)), Verdict::kDeny, false,
                "internal");
  CheckDecision(engine.Decide(Connect("api.github.com", "192.168.1.1", 8443)), Verdict::kAllow,
                false, "network.allow");
  // In a rule that allows, a negated name pattern needs a name.
  const Engine allows = AllowOnly({"!evil.test"});
  CHECK(Allowed(allows, Connect("good.test", "203.0.113.1")));
  CHECK_FALSE(Allowed(allows, Connect("evil.test", "203.0.113.1")));
  CHECK_FALSE(Allowed(allows, Connect("", "203.0.113.1")));
  // A bare address given as the host is the address, not a name.
  CHECK(Allowed(AllowOnly({"203.0.113.0/24"}), Connect("203.0.113.1", "")));
  CHECK_FALSE(Allowed(AllowOnly({"**"}), Connect("203.0.113.1", "")));
  CheckDecision(engine.Decide(Connect("127.0.0.1", "")), Verdict::kDeny, true,
                "network.host-loopback");
}

TEST_CASE("Unix sockets: rules on the path, then the sandbox's own sockets", "[policy][network]") {
  const Engine engine =
      Build({.allow = {"**"},
             .rules = {Rule("docker", PathMatch({"/var/run/docker.sock"}), RuleDecision::kAllow),
                       Rule("no-x11", PathMatch({"/work/project/.X11-unix/**"}),
                            RuleDecision::kDeny),
                       Rule("by-host", HostMatch({"**"}), RuleDecision::kAllow)},
             .network_default = DefaultDecision::kAllow,
             .session_default = DefaultDecision::kAllow});
  CheckDecision(engine.Decide(UnixConnect("/var/run/docker.sock")), Verdict::kAllow, false,
                "docker");
  CheckDecision(engine.Decide(UnixConnect("/var/run//./docker.sock")), Verdict::kAllow, false,
                "docker");
  CheckDecision(engine.Decide(UnixConnect("/work/project/.X11-unix/X0")), Verdict::kDeny, false,
                "no-x11");
  // No rule: a socket inside a write path is the agent's own; any other is a host service's.
  CheckDecision(engine.Decide(UnixConnect("/work/project/build/daemon.sock")), Verdict::kAllow,
                false, "network.unix-socket");
  CheckDecision(engine.Decide(UnixConnect("/tmp/x.sock")), Verdict::kAllow, false,
                "network.unix-socket");
  const Decision host = engine.Decide(UnixConnect("/run/user/1000/bus"));
  CheckDecision(host, Verdict::kDeny, false, "network.unix-socket");
  CHECK(host.reason == "a host service's socket (docker.sock, D-Bus, ssh-agent, X11) needs a "
                       "rule allowing its path");
  CheckDecision(engine.Decide(UnixConnect("/work/project/../other.sock")), Verdict::kDeny, false,
                "network.unix-socket");
  CheckDecision(engine.Decide(UnixConnect("/work/project/.secrets/agent.sock")), Verdict::kDeny,
                false, "network.unix-socket");
  // The innermost entry of the view decides: a read path or a carve-out inside a write path
  // holds host sockets, not the agent's.
  CheckDecision(engine.Decide(UnixConnect("/tmp/host-services/agent.sock")), Verdict::kDeny,
                false, "network.unix-socket");
  CheckDecision(engine.Decide(UnixConnect("/work/project/.git/hooks/s.sock")), Verdict::kDeny,
                false, "network.unix-socket");
  // Abstract sockets live in the sandbox's own network namespace.
  CheckDecision(engine.Decide(UnixConnect("")), Verdict::kAllow, false, "network.unix-socket");
  // A host rule never matches a unix socket (above), a path rule never a TCP connection.
  CheckDecision(engine.Decide(Connect("a.test", "203.0.113.1")), Verdict::kAllow, false,
                "by-host");
  const Engine paths = Build({.rules = {Rule("any-path", PathMatch({"!/x"}), RuleDecision::kDeny)},
                              .network_default = DefaultDecision::kAllow});
  CheckDecision(paths.Decide(Connect("a.test", "203.0.113.1")), Verdict::kAllow, false,
                "network.default");
  CheckDecision(paths.Decide(UnixConnect("/tmp/a.sock")), Verdict::kDeny, false, "any-path");

  // Sharing the host's network namespace, an abstract socket is the host's.
  const Engine host_mode = Build({.mode = NetworkMode::kHost});
  CheckDecision(host_mode.Decide(UnixConnect("")), Verdict::kDeny, false, "network.unix-socket");
  // Mode none takes the same course; forbid rules still come first.
  const Engine none = Build(
      {.mode = NetworkMode::kNone,
       .rules = {Rule("no-sock", PathMatch({"{project}/**/*.sock"}), RuleDecision::kForbid)}});
  CheckDecision(none.Decide(UnixConnect("/tmp/a.sock")), Verdict::kAllow, false,
                "network.unix-socket");
  CheckDecision(none.Decide(UnixConnect("/work/project/a.sock")), Verdict::kDeny, true, "no-sock");
  CheckDecision(none.Decide(UnixConnect("")), Verdict::kAllow, false, "network.unix-socket");
}

TEST_CASE("CouldConnectTo: whether a name is worth looking up", "[policy][network]") {
  CHECK_FALSE(Build({.mode = NetworkMode::kNone, .allow = {"**"}}).CouldConnectTo("a.test"));
  CHECK_FALSE(Build({}).CouldConnectTo("a.test"));

  const Engine engine = Build(
      {.allow = {"*.pythonhosted.org:443", "203.0.113.0/24"},
       .rules = {Rule("never", HostMatch({"paste.test"}), RuleDecision::kForbid),
                 Rule("never-80", HostMatch({"ports.test"}, {{80, 80}}), RuleDecision::kForbid),
                 Rule("deny-all-of", HostMatch({"blocked.test"}), RuleDecision::kDeny),
                 Rule("deny-some", HostMatch({"ports.test", "x.test"}, {{25, 25}}),
                      RuleDecision::kDeny),
                 Rule("gh", HostMatch({"**.github.com"}, {{443, 443}}), RuleDecision::kAllow),
                 Rule("by-range", HostMatch({"10.0.0.0/8"}), RuleDecision::kAllow),
                 Rule("anything", HostMatch({"**"}), RuleDecision::kAllow,
                      {ActionKind::kNetSend}),
                 Rule("paste", HostMatch({"paste.test", "blocked.test", "ports.test"}),
                      RuleDecision::kAllow)},
       .hosts = {{"pinned.test", "10.0.0.1"}}});
  CHECK(engine.CouldConnectTo("api.github.com"));
  CHECK(engine.CouldConnectTo("GitHub.com."));
  CHECK(engine.CouldConnectTo("files.pythonhosted.org"));
  CHECK(engine.CouldConnectTo("pinned.test"));
  CHECK(engine.CouldConnectTo("PINNED.test"));
  CHECK(engine.CouldConnectTo("ports.test"));  // conditions on ports leave other ports
  CHECK_FALSE(engine.CouldConnectTo("paste.test"));    // forbidden by name
  CHECK_FALSE(engine.CouldConnectTo("blocked.test"));  // denied by name before any allow
  CHECK_FALSE(engine.CouldConnectTo("pythonhosted.org"));
  CHECK_FALSE(engine.CouldConnectTo("intranet.test"));  // only an address range could allow it
  CHECK_FALSE(engine.CouldConnectTo("example.com"));  // only net.send allows it
  CHECK_FALSE(engine.CouldConnectTo("10.0.0.1"));  // an address is not looked up
  CHECK_FALSE(engine.CouldConnectTo("bad name"));

  CHECK(Build({.rules = {Rule("all", RuleMatch{}, RuleDecision::kAllow)}}).CouldConnectTo("a.b"));
  CHECK(Build({.network_default = DefaultDecision::kAllow}).CouldConnectTo("a.b"));
  CHECK_FALSE(Build({.rules = {Rule("none", RuleMatch{}, RuleDecision::kForbid)},
                     .network_default = DefaultDecision::kAllow})
                  .CouldConnectTo("a.b"));
  // A rule on unix socket paths says nothing about names.
  CHECK_FALSE(Build({.rules = {Rule("sock", PathMatch({"/**"}), RuleDecision::kAllow)}})
                  .CouldConnectTo("a.b"));
  CHECK(Build({.rules = {Rule("sock", PathMatch({"/**"}), RuleDecision::kForbid)},
               .network_default = DefaultDecision::kAllow})
            .CouldConnectTo("a.b"));
}

TEST_CASE("Compile names the place of a [network] entry it cannot use", "[policy][network]") {
  Profile profile;
  profile.path = "/p.toml";
  profile.network.mode = NetworkMode::kProxy;
  profile.network.allow = {{"ok.test", {"/p.toml", 3, 10}}, {"[::1", {"/p.toml", 3, 21}}};
  auto engine = Engine::Compile(profile, kTestVariables);
  REQUIRE_FALSE(engine.has_value());
  CHECK(engine.error().message ==
        "/p.toml:3:21: network.allow entry '[::1' has a '[' that is never closed");

  profile.network.allow.clear();
  profile.network.hosts = {{"a.test", "not-an-address"}};
  profile.network.where = {"/p.toml", 2, 1};
  engine = Engine::Compile(profile, kTestVariables);
  REQUIRE_FALSE(engine.has_value());
  CHECK(engine.error().message == "/p.toml:2:1: network.hosts entry 'a.test' = 'not-an-address' "
                                  "needs a host name and an IP address");

  profile.network.hosts.clear();
  profile.filesystem.write = {"{nowhere}/x"};
  engine = Engine::Compile(profile, kTestVariables);
  REQUIRE_FALSE(engine.has_value());
  CHECK(engine.error().message.rfind("/p.toml:1:1: filesystem.write path '{nowhere}/x' ", 0) == 0);
}

TEST_CASE("PinnedAddress: case-insensitive, canonical", "[policy][network]") {
  const Engine engine =
      Build({.hosts = {{"api.staging.test", "127.0.0.1"}, {"v6.test", "fd00::1"}}});
  CHECK(engine.PinnedAddress("api.staging.test") == std::optional<std::string>("127.0.0.1"));
  CHECK(engine.PinnedAddress("API.Staging.TEST.") == std::optional<std::string>("127.0.0.1"));
  CHECK(engine.PinnedAddress("v6.test") == std::optional<std::string>("fd00::1"));
  CHECK_FALSE(engine.PinnedAddress("staging.test").has_value());
  CHECK_FALSE(engine.PinnedAddress("").has_value());
  CHECK_FALSE(Build({.mode = NetworkMode::kNone}).PinnedAddress("api.staging.test").has_value());
}
