// Where aarm's own files live: the running binary, shipped data, XDG directories.
#pragma once

#include <string>

#include "aarm/base/error.hpp"

namespace aarm {

// Directory of the running executable (from /proc/self/exe).
Result<std::string> SelfExecutableDir();

// Shipped profiles: $AARM_PROFILE_DIR, else <exe dir>/../share/aarm/profiles.
Result<std::string> ShippedProfileDir();

// $XDG_CONFIG_HOME or ~/.config; $XDG_STATE_HOME or ~/.local/state. Home comes from $HOME,
// else the password database.
std::string XdgConfigHome();
std::string XdgStateHome();
std::string HomeDirectory();

// Lexically normalised absolute path: collapses "//", "." and ".." without touching the disk.
// A relative input is taken relative to `base` (itself absolute).
std::string NormalizePath(const std::string& path, const std::string& base = "/");

// True when `path` is `dir` itself or lies below it (both normalised, absolute).
bool PathIsWithin(const std::string& path, const std::string& dir);

}  // namespace aarm
