// What the sandbox looks like, in plain data. The sandbox module never sees a profile: run/
// turns a profile into a Spec (SpecFromProfile), so policy and sandbox stay independent.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace aarm::sandbox {

// Absolute host paths, variables already expanded. Inside the sandbox each path appears at the
// same place. Where one path lies inside another, the more specific entry wins; for the same
// path: hide over readonly over write over read.
struct FilesystemView {
  std::vector<std::string> read;      // bind-mounted read-only
  std::vector<std::string> write;     // bind-mounted read-write
  std::vector<std::string> readonly;  // carve-outs kept read-only inside write paths
  std::vector<std::string> hide;      // replaced by an empty read-only file or directory
  std::string private_tmp;            // host directory mounted read-write at /tmp
};

// A socket the sandbox creates inside its own network namespace, before the agent starts, and
// hands to the supervisor (Sandbox::TakeListeners): the supervisor cannot enter that namespace
// itself without privileges.
struct ListenSocket {
  bool datagram = false;  // false: TCP, listening; true: UDP, bound
  std::string address;    // numeric: "127.0.0.1" or "::1"
  uint16_t port = 0;
  bool optional = false;  // true: the sandbox may go without it (no IPv6 on its loopback)
};

struct NetworkView {
  // false: the agent shares aarm-run's network namespace (profile `mode = "host"`); true: its
  // own, with only a loopback interface.
  bool isolate = true;
  std::vector<ListenSocket> listeners;
  // Non-empty: the contents of /etc/resolv.conf inside the sandbox (where /etc is in the view).
  std::string resolv_conf;
};

struct Spec {
  std::vector<std::string> argv;      // argv[0] is looked up in PATH of `env` inside the view
  std::vector<std::string> env;       // "NAME=value"
  std::string cwd;                    // kept as the agent's working directory
  FilesystemView filesystem;
  NetworkView network;
  std::string scratch_dir;            // private 0700 host directory for mount staging
  std::string hostname = "aarm";
  // false: where the kernel refuses user namespaces, run with Landlock + seccomp alone.
  bool require_namespaces = true;
  // true: refuse to start without Landlock.
  bool require_landlock = false;
  // System calls sent to the supervisor as seccomp user notifications; their listener is
  // handed to the supervisor by Sandbox::TakeNotifyFd(). Empty: nothing is mediated.
  std::vector<int> notified_syscalls;
  // Files the agent must neither read nor change whatever the profile says: the receipt log
  // and the signing key. Hidden like `hide` paths; without namespaces (where nothing can be
  // hidden) the sandbox refuses to start if one lies inside a read or write path.
  std::vector<std::string> protected_paths;
  // Descriptors beyond 0-2 the user passes explicitly; every other descriptor is closed.
  std::vector<int> inherited_fds;
};

}  // namespace aarm::sandbox
