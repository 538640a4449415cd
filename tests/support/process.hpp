// Runs a command the way a user's shell would and records everything it did: exit status,
// standard output and error. Used by the end-to-end tests to drive aarm-run from outside.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace aarm::testing {

using std::chrono::milliseconds;

struct ProcessOptions {
  std::vector<std::string> argv;
  std::vector<std::string> env;  // the whole environment, "NAME=value"
  std::string cwd;               // empty: the test's own
  std::string input;             // written to stdin, which is then closed
  milliseconds timeout{30000};
  // Descriptors of the test process the command inherits under the same numbers; every other
  // one beyond 0-2 is closed.
  std::vector<int> inherit_fds;
  // Standard input, output and error on a pseudo-terminal that is the command's controlling
  // terminal; output and error then arrive together in `out`.
  bool pty = false;
};

struct ProcessResult {
  int status = -1;  // the shell's convention: exit code, or 128 + signal
  std::string out;
  std::string err;
  bool timed_out = false;
};

// A command started in the background; killed and reaped when destroyed while still running.
class Process {
 public:
  explicit Process(const ProcessOptions& options);
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  ~Process();

  pid_t Pid() const { return pid_; }

  // Collects output until stdout holds `text` or the timeout passes; true if it appeared.
  bool WaitForOutput(const std::string& text, milliseconds timeout);
  // Collects output for `duration` and returns what arrived on stdout meanwhile.
  std::string OutputDuring(milliseconds duration);
  const std::string& Out() const { return result_.out; }

  void Signal(int signal) const;
  // Waits for the exit (killing the command when `timeout` passes) and returns the result.
  ProcessResult Wait(milliseconds timeout);

 private:
  // Reads what is available until `until` passes or `done` says stop; returns done's verdict.
  template <typename Done>
  bool Pump(std::chrono::steady_clock::time_point until, Done done);
  bool Reap(bool block);

  bool pty_ = false;
  pid_t pid_ = -1;
  bool exited_ = false;
  int out_fd_ = -1;
  int err_fd_ = -1;
  int in_fd_ = -1;
  std::string input_;
  size_t input_written_ = 0;
  ProcessResult result_;
};

ProcessResult RunProcess(const ProcessOptions& options);

// Host processes whose command line contains `needle` (NUL bytes separate the arguments).
std::vector<pid_t> ProcessesWith(const std::string& needle);
// Waits until no host process's command line contains `needle`; false if one still does.
bool NoProcessWithin(const std::string& needle, milliseconds timeout);
// A string no other command line holds, to find a test's processes by.
std::string UniqueToken(const std::string& what);
// The state letter of /proc/PID/stat: 'R', 'S', 'T' (stopped)...
char ProcessState(pid_t pid);

}  // namespace aarm::testing
