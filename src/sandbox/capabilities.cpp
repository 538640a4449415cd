#include "capabilities.hpp"

#include <linux/securebits.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include <cerrno>

namespace aarm::sandbox {

StepFailure DropAllCapabilities(bool holds_setpcap) {
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL) {
    return {SetupStep::kDropCapabilities, errno};
  }
  if (holds_setpcap) {
    for (int cap = 0; cap <= CAP_LAST_CAP; ++cap) {
      if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) {
        return {SetupStep::kDropCapabilities, errno};
      }
    }
    // uid 0 inside the namespace must not regain capabilities at exec.
    unsigned long bits = SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP |
                         SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED |
                         SECBIT_NO_CAP_AMBIENT_RAISE | SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED;
    if (prctl(PR_SET_SECUREBITS, bits, 0, 0, 0) != 0) return {SetupStep::kDropCapabilities, errno};
  }
  cap_t empty = cap_init();
  if (empty == nullptr) return {SetupStep::kDropCapabilities, errno};
  int rc = cap_set_proc(empty);
  int err = errno;
  cap_free(empty);
  if (rc != 0) return {SetupStep::kDropCapabilities, err};
  return {};
}

}  // namespace aarm::sandbox
