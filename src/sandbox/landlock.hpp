// Landlock: the kernel's own envelope around the agent. Independent of the supervisor and of
// the mount view, it keeps writes to `write` paths and reads to `read`/`write` paths, at the
// best ABI the kernel offers.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mount_plan.hpp"

namespace aarm::sandbox {

enum class LandlockAccess { kListDirectories, kRead, kWrite, kDevices, kProc };

struct LandlockRule {
  std::string path;  // as seen inside the sandbox
  LandlockAccess access;
};

struct LandlockPlan {
  int abi = 0;  // 0: Landlock absent; nothing is applied
  uint64_t handled_fs = 0;
  uint64_t scoped = 0;
  std::vector<LandlockRule> rules;
  std::vector<std::string> dropped;  // rights this kernel's ABI lacks, for the warnings
};

// `tmp_in_view`: where the private /tmp is seen ("/tmp" in a mount namespace, the host
// directory without one); `tmp_writable`: whether {tmp} is among the write paths.
LandlockPlan PlanLandlock(const Spec& spec, bool namespaces, const std::string& tmp_in_view,
                          bool tmp_writable);

// Runs in the agent process after the view is in place and no_new_privs is set. A path that
// does not exist is skipped (it is not in the view either).
StepFailure ApplyLandlock(const LandlockPlan& plan);

}  // namespace aarm::sandbox
