#include "tables.hpp"

#include <fmt/format.h>

#include <string_view>

#include "address.hpp"

namespace aarm::network::detail {
namespace {

// 198.18.0.0/15 and fd61:6172:6d00::/48 ("aarm"), of which the first 2^17 addresses.
constexpr uint32_t kStandInCount = 1u << 17;
constexpr std::string_view kStandInV6Prefix = "fd61:6172:6d00::";

bool IsStandIn(const std::string& address, bool v6) {
  return v6 ? address.starts_with(kStandInV6Prefix)
            : address.starts_with("198.18.") || address.starts_with("198.19.");
}

// Inserts or refreshes `key` as the newest entry, evicting the oldest beyond `limit`.
template <typename Key, typename Entry>
void Upsert(std::map<Key, Entry>& entries, std::map<uint64_t, Key>& order, uint64_t& next,
            const Key& key, Entry entry, size_t limit) {
  if (auto found = entries.find(key); found != entries.end()) {
    order.erase(found->second.sequence);
    entries.erase(found);
  }
  entry.sequence = next++;
  order.emplace(entry.sequence, key);
  entries.emplace(key, std::move(entry));
  while (entries.size() > limit) {
    entries.erase(order.begin()->second);
    order.erase(order.begin());
  }
}

}  // namespace

void RedirectTable::Expect(bool ipv6, uint16_t local_port, RedirectedConnection original) {
  std::lock_guard lock(mutex_);
  const Clock::time_point now = Clock::now();
  while (!order_.empty() && now - entries_.at(order_.begin()->second).added > kLifetime) {
    entries_.erase(order_.begin()->second);
    order_.erase(order_.begin());
  }
  Upsert(entries_, order_, next_sequence_, Key{ipv6, local_port},
         Entry{std::move(original), now, 0}, kMaxEntries);
}

std::optional<RedirectedConnection> RedirectTable::Take(bool ipv6, uint16_t peer_port) {
  std::lock_guard lock(mutex_);
  auto found = entries_.find(Key{ipv6, peer_port});
  if (found == entries_.end()) return std::nullopt;
  Entry entry = std::move(found->second);
  order_.erase(entry.sequence);
  entries_.erase(found);
  if (Clock::now() - entry.added > kLifetime) return std::nullopt;
  return std::move(entry.original);
}

void AddressNames::Remember(const std::string& address, const std::string& name) {
  std::lock_guard lock(mutex_);
  RememberLocked(address, name);
}

std::optional<std::string> AddressNames::NameFor(const std::string& address) const {
  std::lock_guard lock(mutex_);
  return NameForLocked(address);
}

void AddressNames::RememberLocked(const std::string& address, const std::string& name) {
  Upsert(entries_, order_, next_sequence_, address, Entry{name, 0}, kMaxEntries);
}

std::optional<std::string> AddressNames::NameForLocked(const std::string& address) const {
  auto found = entries_.find(address);
  if (found == entries_.end()) return std::nullopt;
  return found->second.name;
}

std::string AddressNames::StandIn(const std::string& name, bool v6) {
  std::lock_guard lock(mutex_);
  // The name's stand-in is still remembered: answer it again, so connections the agent holds
  // to it keep their name.
  for (const auto& [address, entry] : entries_) {
    if (entry.name == name && IsStandIn(address, v6)) {
      RememberLocked(address, name);
      return address;
    }
  }
  // Handed out in turn over 2^17 addresses, far more than are remembered: by the time one is
  // handed out again its earlier name has long been forgotten.
  const uint32_t index = 1 + next_stand_in_++ % (kStandInCount - 2);
  const std::string text = v6 ? fmt::format("{}{:x}:{:x}", kStandInV6Prefix, index >> 16, index & 0xFFFF)
                              : fmt::format("198.{}.{}.{}", 18 + (index >> 16),
                                            (index >> 8) & 0xFF, index & 0xFF);
  // Remembered in the canonical form the supervisor reports a destination in.
  std::string address = CanonicalAddress(text).value_or(text);
  RememberLocked(address, name);
  return address;
}

bool StaysInSandbox(const std::string& address) {
  return address.starts_with("127.") || address == "::1" || address.starts_with("0.") ||
         address == "::";
}

}  // namespace aarm::network::detail
