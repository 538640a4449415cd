// What the three paths share once a connection is admitted: dialling the admitted address, the
// first-bytes read, and the relay with its closing record.
#pragma once

#include <string>

#include "aarm/base/unique_fd.hpp"
#include "gate.hpp"
#include "relay.hpp"
#include "sniff.hpp"
#include "tables.hpp"

namespace aarm::network::detail {

inline constexpr auto kDialTimeout = std::chrono::seconds(15);

struct Context {
  const Gate& gate;
  const AddressNames& names;
  RedirectTable& redirects;
  int stop_fd;
  Clock::duration handshake_timeout;  // ServiceOptions
  Clock::duration first_bytes_wait;
};

// Where a proxy client asked to go: `host` as it named it, unless it is an address the
// sandbox's resolver answered for a name (a client that resolves names itself, a stand-in):
// then that name, decided and dialled as on the transparent path.
Destination ProxyDestination(const Context& context, const std::string& host, uint16_t port);

// Dials the admitted address. On failure the admission's closing record is written (no bytes)
// and the errno is returned.
Result<UniqueFd> DialAdmitted(const Context& context, const Admission& admission);

// Reads the agent's first bytes into `bytes` (which may hold some already) until they are
// complete enough to sniff, `remote` (when valid) has something to say first, the wait ends,
// or the agent stops sending; nullopt when the service stopped meanwhile.
std::optional<Sniffed> ReadFirstBytes(const Context& context, int agent, int remote,
                                      std::string& bytes, Clock::time_point deadline);

// Whether a host named in the first bytes is the one the admission is for.
bool NamesAdmittedHost(const std::string& named, const policy::Action& admitted);

// Runs a tunnel the agent opened (HTTP CONNECT, SOCKS5 CONNECT) and was told is connected:
// refuses it when its first bytes name another host (recording a network.fronting denial),
// else relays. Records the close either way.
void RunTunnel(const Context& context, const Admission& admission, UniqueFd agent, UniqueFd remote,
               std::string initial);

// Relays and records the close.
void RelayAndClose(const Context& context, const Admission& admission, int agent, int remote,
                   const RelayOptions& options);

}  // namespace aarm::network::detail
