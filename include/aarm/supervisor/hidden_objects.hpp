// Files the agent must not reach under any name. A hidden path is masked in the agent's view,
// but the same file (device and inode) can have other names: a hard link made before the
// session, inside a path the agent may read. The supervisor checks every object it opens or
// links for the agent against this set and refuses the ones in it.
#pragma once

#include <sys/types.h>

#include <set>
#include <string>
#include <utility>
#include <vector>

namespace aarm::supervisor {

struct HiddenObjects {
  std::set<std::pair<dev_t, ino_t>> files;
  size_t skipped = 0;  // entries beyond the walk's limit, not covered

  bool Contains(dev_t dev, ino_t ino) const { return files.count({dev, ino}) != 0; }
};

// The regular files at or below `paths` (host paths; symlinks not followed), at most `limit`
// entries in all.
HiddenObjects CollectHiddenObjects(const std::vector<std::string>& paths, size_t limit);

}  // namespace aarm::supervisor
