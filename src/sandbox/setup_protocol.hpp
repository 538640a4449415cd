// Messages between the supervisor, the sandbox init and the agent before and after exec.
// Fixed-size records over a SOCK_SEQPACKET pair (supervisor <-> init) and a close-on-exec pipe
// (agent -> init), so the code between clone and exec reports without allocating.
#pragma once

#include <cstdint>

namespace aarm::sandbox {

// Each step of building the sandbox, so a failure names what failed.
enum class SetupStep : int32_t {
  kNone = 0,
  kWaitForIdMaps,
  kSetHostname,
  kMakeMountsPrivate,
  kMountStagingRoot,
  kCreateMountPoint,
  kBindMount,
  kRemountReadOnly,
  kHidePath,
  kMountTmp,
  kMountProc,
  kMountDev,
  kPivotRoot,
  kLoopbackUp,
  kNetworkListener,
  kChangeDirectory,
  kForkAgent,
  kNewSession,
  kCloseFds,
  kNoNewPrivs,
  kLandlock,
  kDropCapabilities,
  kSeccomp,
  kExec,
};

const char* SetupStepName(SetupStep step);

enum class MessageKind : int32_t {
  kIdMapsWritten = 1,  // supervisor -> init: go on
  kForwardSignal,      // supervisor -> init: value = signal
  kStepFailed,         // init -> supervisor: step, err
  kListener,           // init -> supervisor: value = index in Spec::network.listeners; the
                       // socket follows in the next packet (SendFd)
  kAgentReady,         // agent -> init -> supervisor: confined, waiting to exec; value = the
                       // descriptor of its seccomp listener (-1 without), for pidfd_getfd
  kExecAgent,          // supervisor -> init -> agent: exec now (the session is recorded)
  kAgentStarted,       // init -> supervisor: execve succeeded
  kAgentExited,        // init -> supervisor: value = wait status
};

struct SetupMessage {
  MessageKind kind;
  SetupStep step = SetupStep::kNone;
  int32_t err = 0;
  int32_t value = 0;
};

// Blocking, EINTR-safe; false on EOF or error.
bool SendMessage(int fd, const SetupMessage& message);
// One descriptor over a unix socket (SCM_RIGHTS); ReceiveFd returns -1 on failure.
bool SendFd(int socket, int fd);
int ReceiveFd(int socket);
bool ReceiveMessage(int fd, SetupMessage* message);

}  // namespace aarm::sandbox
