// Carries bytes both ways between the agent's connection and the destination's until both
// ends are done, on the calling thread. One side ending its stream (EOF) shuts down writing
// toward the other; a reset or an error on either ends the relay.
#pragma once

#include <string_view>

#include "aarm/policy/action_observer.hpp"
#include "body_framer.hpp"

namespace aarm::network::detail {

struct RelayOptions {
  // Bytes already read from the agent, sent to the destination first.
  std::string_view initial_up;
  // Bytes of the service's own sent before those (a rewritten request head), counted as the
  // agent's.
  std::string_view prefix_up;
  // Set: only the bytes of one request body go up (the head was sent already), and the relay
  // ends when the destination's answer ends. Framing errors end it at once.
  BodyFramer* framer = nullptr;
};

// Returns when the connection is over, or at once when `stop_fd` becomes readable. Both
// descriptors must be non-blocking stream sockets; the caller closes them. The agent's, a
// connection over the sandbox's loopback, is switched to Reno congestion control.
policy::Transfer Relay(int agent, int remote, const RelayOptions& options, int stop_fd);

}  // namespace aarm::network::detail
