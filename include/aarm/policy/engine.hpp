// The policy engine: Profile + Action -> Decision. Pure: no system calls, no allocation on the
// hot path beyond the Decision's strings; every glob and regex is compiled once at load.
//
// Precedence (PROFILE.md): forbid rules in order — a match denies and nothing overrides it;
// then the other rules in order, a profile's own before those it extends, the first match
// decides; otherwise session.default.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "aarm/base/error.hpp"
#include "aarm/policy/action.hpp"
#include "aarm/policy/profile.hpp"

namespace aarm::policy {

enum class Verdict { kAllow, kDeny };

struct Decision {
  Verdict verdict = Verdict::kDeny;
  bool forbidden = false;  // decided by a forbid rule: no approval or --audit lifts it
  std::string rule;        // rule id; empty when session.default decided
  std::string reason;      // the rule's reason, or "session default"
};

class Engine {
 public:
  // Compiles the profile's rules with its path variables expanded. Errors name the rule's
  // FILE:LINE:COL (a bad glob, a bad regex).
  static Result<Engine> Compile(const Profile& profile, const PathVariables& variables);

  Engine(Engine&&) noexcept;
  Engine& operator=(Engine&&) noexcept;
  ~Engine();

  // Every kind of action, net.* included (see docs/profiles.md for the network precedence).
  Decision Decide(const Action& action) const;

  // The label of the data at `path`, an absolute path as in Action::path: the first [[label]]
  // other than `public` one of whose paths matches; else `public` if one of its paths does;
  // else session.unclassified. Data that is also something more sensitive is never public.
  // The view stays valid as long as the engine.
  std::string_view LabelOf(std::string_view path) const;

  // Whether `action`, when allowed, is counted rather than recorded one by one: a file.read of
  // data labelled `public` while session.record_reads is "sensitive". A denial is always
  // recorded, so whoever reports it asks only after an allow.
  bool IsCountedRead(const Action& action) const;

  // The address `[network] hosts` pins `name` to (canonical numeric form), if it does.
  std::optional<std::string> PinnedAddress(std::string_view name) const;

  // Whether some connection to `name` (on some port) could be allowed: what the sandbox's
  // resolver asks before it looks a name up, so a name no rule could allow never leaves the
  // machine in a DNS query.
  bool CouldConnectTo(std::string_view name) const;

 private:
  struct Compiled;
  explicit Engine(std::unique_ptr<Compiled> compiled);
  std::unique_ptr<Compiled> compiled_;
};

}  // namespace aarm::policy
