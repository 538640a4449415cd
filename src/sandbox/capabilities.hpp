// Leaves the agent with no capabilities at all, and unable to regain them through exec of a
// setuid or file-capability binary, or by being uid 0 inside its user namespace.
#pragma once

#include "mount_plan.hpp"

namespace aarm::sandbox {

// `holds_setpcap`: the process has CAP_SETPCAP (true inside our user namespace, and for root);
// without it the bounding set and securebits cannot change, and no_new_privs alone keeps exec
// from granting anything.
StepFailure DropAllCapabilities(bool holds_setpcap);

}  // namespace aarm::sandbox
