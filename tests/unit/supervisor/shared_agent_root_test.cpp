// The agent's root, opened once per session: never kept from a process that may not be the
// caller any more.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "../../../src/supervisor/path_resolver.hpp"

namespace aarm::supervisor {
namespace {

bool SameObject(int a, int b) {
  struct stat first {};
  struct stat second {};
  return fstat(a, &first) == 0 && fstat(b, &second) == 0 && first.st_dev == second.st_dev &&
         first.st_ino == second.st_ino;
}

TEST_CASE("the agent's root is kept only once the caller is confirmed", "[supervisor]") {
  SharedAgentRoot root;
  int calls = 0;
  // The caller could not be confirmed after the open (its pid may have been reused): nothing kept.
  CHECK(root.Get(getpid(), [&] {
    ++calls;
    return false;
  }) == -1);
  CHECK(calls == 1);
  // The next call opens it again, and keeps it once confirmed.
  int fd = root.Get(getpid(), [&] {
    ++calls;
    return true;
  });
  REQUIRE(fd >= 0);
  CHECK(calls == 2);
  int slash = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  CHECK(SameObject(fd, slash));
  close(slash);
  // Kept: later calls neither open nor ask again.
  CHECK(root.Get(getpid(), [&] {
    ++calls;
    return false;
  }) == fd);
  CHECK(calls == 2);
}

TEST_CASE("no root is kept for a process that is gone", "[supervisor]") {
  SharedAgentRoot root;
  pid_t child = fork();
  if (child == 0) _exit(0);
  REQUIRE(child > 0);
  while (waitpid(child, nullptr, 0) < 0) {
  }
  CHECK(root.Get(child, [] { return true; }) == -1);
}

}  // namespace
}  // namespace aarm::supervisor
