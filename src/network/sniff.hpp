// What a client's first bytes say about the host it means: the server name of a TLS
// ClientHello, or the Host of an HTTP/1.x request. Used to decide a transparently redirected
// connection by name, and to catch a tunnel whose first bytes name another host than the one
// it was opened to (domain fronting).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace aarm::network::detail {

// How many bytes are worth reading before deciding: a ClientHello spread over records, or a
// request head, within this are read whole.
inline constexpr size_t kMaxSniffBytes = 64 * 1024;

struct Sniffed {
  enum class Kind {
    kNeedMore,   // the bytes begin a ClientHello or a request head that is not complete yet
    kTls,        // a complete ClientHello
    kHttp,       // a complete HTTP/1.x request head
    kOther,      // neither: a protocol that names no host in its first bytes
    kMalformed,  // began as one of the two but breaks its rules, or never completed
  };
  Kind kind = Kind::kNeedMore;
  // The host named (server_name; the Host header or the absolute target's authority, without
  // its port), as sent: not yet validated. Absent when the ClientHello has no server_name or
  // an HTTP/1.0 request no Host.
  std::optional<std::string> host;
  std::string problem;  // for kMalformed: one line
};

// `final`: no more bytes will come (the wait ended, the peer half-closed, kMaxSniffBytes were
// read); an incomplete ClientHello or head is then kMalformed.
Sniffed SniffFirstBytes(std::string_view bytes, bool final);

}  // namespace aarm::network::detail
