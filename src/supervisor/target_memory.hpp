// Reading the agent's memory. Everything read here is a snapshot the agent may change the next
// instant: the supervisor decides on its own copy and never lets the kernel read it again
// (emulation), or checks the notification is still pending (NOTIF_ID_VALID) before acting.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "aarm/base/error.hpp"

namespace aarm::supervisor {

// Copies `size` bytes at `address` of `pid`; false (errno set) when any byte is unreadable.
bool ReadMemory(pid_t pid, uint64_t address, void* out, size_t size);

// Copies `size` bytes into the agent's memory at `address` (a result the kernel would have
// written there, such as sendmmsg's msg_len); false (errno set) when any byte is not written.
bool WriteMemory(pid_t pid, uint64_t address, const void* data, size_t size);

// A NUL-terminated string of at most `max` bytes (PATH_MAX for paths). Too long: ENAMETOOLONG;
// unreadable: EFAULT — the errnos the kernel itself would have returned.
Result<std::string> ReadString(pid_t pid, uint64_t address, size_t max);

// A NULL-terminated array of strings (argv, envp), at most `max_items` of `max_each` bytes
// and `max_total` bytes in all (E2BIG beyond: the kernel's own limits are lower, so nothing the
// kernel would run is refused, and no agent can make the supervisor allocate without bound).
Result<std::vector<std::string>> ReadStringArray(pid_t pid, uint64_t address, size_t max_items,
                                                 size_t max_each, size_t max_total);

}  // namespace aarm::supervisor
