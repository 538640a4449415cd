#include "receipt_observer.hpp"

#include <unistd.h>

#include "aarm/policy/display_text.hpp"

namespace aarm::run {
namespace {

constexpr std::chrono::nanoseconds kSummaryInterval = std::chrono::seconds(1);
// What a denial line on the terminal shows of the action, at most.
constexpr size_t kMaxShownBytes = 512;

int64_t SteadyNow() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

size_t VerdictIndex(policy::Verdict verdict) { return verdict == policy::Verdict::kDeny ? 1 : 0; }

std::string_view VerdictName(policy::Verdict verdict) {
  return verdict == policy::Verdict::kDeny ? "deny" : "allow";
}

}  // namespace

ReceiptObserver::ReceiptObserver(receipts::SessionLog& log, std::string profile_sha256,
                                 bool quiet)
    : log_(log),
      profile_sha256_(std::move(profile_sha256)),
      quiet_(quiet),
      next_summary_(SteadyNow() + kSummaryInterval.count()) {}

nlohmann::json ActionToJson(const policy::Action& action) {
  nlohmann::json json = nlohmann::json::object();
  json["kind"] = std::string(policy::ActionKindName(action.kind));
  if (!action.path.empty()) json["path"] = action.path;
  if (!action.to.empty()) json["to"] = action.to;
  if (action.kind == policy::ActionKind::kProcessExec) {
    json["argv"] = action.argv;
    json["cwd"] = action.cwd;
  }
  if (action.open_flags != 0) json["flags"] = action.open_flags;
  if (policy::IsNetworkAction(action.kind)) {
    if (!action.host.empty()) json["host"] = action.host;
    if (!action.address.empty()) json["address"] = action.address;
    if (action.port != 0) json["port"] = action.port;
    json["protocol"] = action.protocol;
  }
  json["process"] = {{"pid", action.process.pid},
                     {"exe", action.process.exe},
                     {"ppids", action.process.ppids}};
  return json;
}

std::string DescribeForTerminal(const policy::Action& action) {
  std::string text = std::string(policy::ActionKindName(action.kind)) + " ";
  if (action.kind == policy::ActionKind::kProcessExec) {
    for (size_t i = 0; i < action.argv.size(); ++i) text += (i ? " " : "") + action.argv[i];
    if (action.argv.empty()) text += action.path;
  } else if (policy::IsNetworkAction(action.kind) && action.protocol != "unix") {
    // "evil.example:443", "[2001:db8::1]:443", the address a name resolved to, or for a
    // refused family (vsock, packet...) which one
    const std::string& where = !action.host.empty()      ? action.host
                               : !action.address.empty() ? action.address
                                                         : action.protocol;
    bool bracket = where.find(':') != std::string::npos;
    text += bracket ? "[" + where + "]" : where;
    if (action.port != 0) text += ":" + std::to_string(action.port);
    if (!action.host.empty() && !action.address.empty() && action.address != action.host) {
      text += " (" + action.address + ")";
    }
  } else {
    text += action.path;
    if (!action.to.empty()) text += " -> " + action.to;
  }
  // An argv, a path or a server name the agent chose may run to many KiB: the line on the
  // terminal is cut, the receipt keeps it whole.
  std::string shown = policy::EscapeForDisplay(text);
  if (shown.size() > kMaxShownBytes) {
    size_t cut = kMaxShownBytes;
    while (cut > 0 && (static_cast<unsigned char>(shown[cut]) & 0xC0) == 0x80) --cut;
    shown.resize(cut);
    shown += "...";
  }
  return shown;
}

nlohmann::json ReceiptObserver::DecisionToJson(const policy::Decision& decision,
                                               bool enforced) const {
  nlohmann::json json = {
      {"verdict", VerdictName(decision.verdict)},
      {"rule", decision.rule},
      {"reason", decision.reason},
      {"profile_sha256", profile_sha256_},
      {"by", enforced ? "policy" : "audit"},
  };
  if (decision.forbidden) json["forbidden"] = true;
  return json;
}

Result<void> ReceiptObserver::OnDecided(const policy::Action& action,
                                        const policy::Decision& decision, bool enforced,
                                        const policy::ActionResult& result) {
  bool denied = decision.verdict == policy::Verdict::kDeny;
  nlohmann::json decision_json = DecisionToJson(decision, enforced);
  nlohmann::json outcome = {{"ok", result.ok}};
  if (!result.ok) outcome["errno"] = result.err;
  auto recorded = log_.RecordAction(ActionToJson(action), nlohmann::json::object(),
                                    std::move(decision_json), std::move(outcome));
  if (!recorded) return tl::unexpected(recorded.error());
  if (denied && !quiet_) {
    std::string line = std::string(enforced ? "aarm: denied " : "aarm: audit: would deny ") +
                       DescribeForTerminal(action) + " (rule: " +
                       policy::EscapeForDisplay(decision.rule.empty() ? "session default" : decision.rule) +
                       ")\n";
    [[maybe_unused]] ssize_t n = write(STDERR_FILENO, line.data(), line.size());
  }
  return {};
}

Result<void> ReceiptObserver::OnConnectionClosed(const policy::Action& action,
                                                 const policy::Decision& decision, bool enforced,
                                                 const policy::Transfer& transfer) {
  nlohmann::json outcome = {{"ok", true},
                            {"closed", true},
                            {"bytes_up", transfer.bytes_up},
                            {"bytes_down", transfer.bytes_down}};
  auto recorded = log_.RecordAction(ActionToJson(action), nlohmann::json::object(),
                                    DecisionToJson(decision, enforced), std::move(outcome));
  if (!recorded) return tl::unexpected(recorded.error());
  return {};
}

Result<void> ReceiptObserver::OnCounted(const policy::Action&, const policy::Decision& decision,
                                        const policy::ActionResult&) {
  counted_[VerdictIndex(decision.verdict)].fetch_add(1, std::memory_order_relaxed);
  const int64_t now = SteadyNow();
  if (now < next_summary_.load(std::memory_order_relaxed)) return {};
  std::unique_lock lock(summary_mutex_, std::try_to_lock);
  if (!lock.owns_lock() || now < next_summary_.load(std::memory_order_relaxed)) return {};
  next_summary_.store(now + kSummaryInterval.count(), std::memory_order_relaxed);
  auto recorded = log_.RecordSummary(CountedSoFar());
  if (!recorded) return tl::unexpected(recorded.error());
  return {};
}

receipts::DecisionCounts ReceiptObserver::CountedSoFar() const {
  receipts::DecisionCounts counts;
  for (policy::Verdict verdict : {policy::Verdict::kAllow, policy::Verdict::kDeny}) {
    const uint64_t count = counted_[VerdictIndex(verdict)].load(std::memory_order_relaxed);
    if (count != 0) counts[std::string(VerdictName(verdict))] = count;
  }
  return counts;
}

}  // namespace aarm::run
