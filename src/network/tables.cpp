#include "tables.hpp"

namespace aarm::network::detail {
namespace {

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
  Upsert(entries_, order_, next_sequence_, address, Entry{name, 0}, kMaxEntries);
}

std::optional<std::string> AddressNames::NameFor(const std::string& address) const {
  std::lock_guard lock(mutex_);
  auto found = entries_.find(address);
  if (found == entries_.end()) return std::nullopt;
  return found->second.name;
}

}  // namespace aarm::network::detail
