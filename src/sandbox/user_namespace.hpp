// The user namespace: the agent keeps its own uid and gid inside (root stays root), without
// any capability in the host's namespace.
#pragma once

#include <sys/types.h>

#include <string>

#include "aarm/base/error.hpp"

namespace aarm::sandbox {

// Written by the supervisor once the child exists: uid -> same uid, gid -> same gid,
// setgroups denied.
Result<void> WriteIdMaps(pid_t child, uid_t uid, gid_t gid);

// Why this kernel refuses unprivileged user namespaces, and the fix, in one line.
std::string UserNamespaceRefusalHint();

}  // namespace aarm::sandbox
