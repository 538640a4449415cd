// The filesystem view, planned in the supervisor (where allocation and logging are fine) and
// carried out by the sandbox init between clone and pivot_root (where they are not).
#pragma once

#include <string>
#include <vector>

#include "aarm/base/error.hpp"
#include "aarm/sandbox/spec.hpp"
#include "setup_protocol.hpp"

namespace aarm::sandbox {

enum class MountKind {
  kReadOnly,    // bind, then read-only, nosuid, nodev (recursively)
  kReadWrite,   // bind, nosuid, nodev (recursively)
  kCarveOut,    // a path inside a write path bound again, read-only
  kHideFile,    // an empty read-only file on top
  kHideDir,     // an empty read-only directory on top
  kSymlink,     // the host's symlink recreated (merged-/usr links such as /lib -> usr/lib)
  kPin,         // a directory above a carve-out or hidden path bound onto itself, unmovable
};

struct MountOp {
  MountKind kind;
  std::string host_path;       // the object on the host (or the link text for kSymlink)
  std::string staging_target;  // where it goes below the staging root
  bool is_directory = true;
};

struct MountPlan {
  std::string staging_root;    // <scratch>/root: the new root before pivot_root
  std::string standins;        // <scratch>/standins: holds the empty stand-ins
  std::string empty_file;
  std::string empty_dir;
  std::string private_tmp;     // host directory for /tmp
  bool tmp_writable = true;    // {tmp} is among the write paths; else /tmp is read-only
  std::vector<MountOp> ops;    // in order: parents before children
  // Non-empty: the host file (in the scratch directory) that the caller fills with
  // Spec::network.resolv_conf before the init binds it over the view's /etc/resolv.conf.
  std::string resolv_conf;
  std::string cwd;
  std::vector<std::string> notes;  // paths skipped and why, for -v
};

// Resolves the view against the host (lstat, realpath); never fails on a missing path, which is
// simply left out of the view.
Result<MountPlan> PlanMounts(const Spec& spec);

struct StepFailure {
  SetupStep step = SetupStep::kNone;
  int err = 0;
  bool failed() const { return step != SetupStep::kNone; }
};

// Runs in the sandbox init, inside the new mount namespace. Builds the view under the staging
// root, switches to it and makes the root itself read-only. No allocation.
StepFailure BuildFilesystemView(const MountPlan& plan);

}  // namespace aarm::sandbox
