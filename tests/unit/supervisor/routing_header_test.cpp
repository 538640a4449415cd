// Control data the supervisor would send in the agent's place: an IPv6 routing header in it
// sends the packet to the header's first segment instead of the address decided, and
// SCM_CREDENTIALS would be checked against the supervisor, so a copy holding either is EPERM,
// on any socket; other control data is copied as it is.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>

#include "../../../src/supervisor/agent_message.hpp"

namespace aarm::supervisor {
namespace {

// Control data in our own memory, read back as the agent's: headers in the order added.
struct Control {
  alignas(cmsghdr) unsigned char buffer[2 * CMSG_SPACE(32)] = {};
  size_t length = 0;

  void Add(int level, int type, size_t size) {
    auto* header = reinterpret_cast<cmsghdr*>(buffer + length);
    header->cmsg_level = level;
    header->cmsg_type = type;
    header->cmsg_len = CMSG_LEN(size);
    memset(CMSG_DATA(header), 1, size);
    length += CMSG_SPACE(size);
  }
};

Result<CopiedMessage> Copy(const Control& control) {
  static const char byte = 'x';
  static iovec piece{const_cast<char*>(&byte), 1};
  AgentMsghdr header;
  header.iov = reinterpret_cast<uint64_t>(&piece);
  header.iov_count = 1;
  header.control = reinterpret_cast<uint64_t>(control.buffer);
  header.control_length = control.length;
  return CopyMessage(getpid(), header, true, -1);
}

TEST_CASE("control data holding an IPv6 routing header is EPERM", "[supervisor][network]") {
  for (int type : {IPV6_RTHDR, IPV6_2292RTHDR}) {
    for (bool after_another : {false, true}) {
      INFO("type " << type << (after_another ? ", after a hop limit" : ""));
      Control control;
      if (after_another) control.Add(IPPROTO_IPV6, IPV6_HOPLIMIT, sizeof(int));
      control.Add(IPPROTO_IPV6, type, 24);
      auto copied = Copy(control);
      REQUIRE_FALSE(copied);
      CHECK(copied.error().sys_errno == EPERM);
    }
  }
}

TEST_CASE("control data holding SCM_CREDENTIALS is EPERM", "[supervisor][network]") {
  for (bool after_another : {false, true}) {
    INFO((after_another ? "after a hop limit" : "alone"));
    Control control;
    if (after_another) control.Add(IPPROTO_IPV6, IPV6_HOPLIMIT, sizeof(int));
    control.Add(SOL_SOCKET, SCM_CREDENTIALS, sizeof(ucred));
    auto copied = Copy(control);
    REQUIRE_FALSE(copied);
    CHECK(copied.error().sys_errno == EPERM);
  }
}

TEST_CASE("other control data is copied as it is", "[supervisor][network]") {
  Control control;
  control.Add(IPPROTO_IPV6, IPV6_HOPLIMIT, sizeof(int));
  control.Add(IPPROTO_IP, IP_TTL, sizeof(int));
  // The same option numbers at another level are other options.
  Control other_level;
  other_level.Add(IPPROTO_IP, IPV6_RTHDR, 24);
  other_level.Add(IPPROTO_IP, SCM_CREDENTIALS, sizeof(ucred));
  for (const Control* data : {&control, &other_level}) {
    auto copied = Copy(*data);
    REQUIRE(copied);
    REQUIRE(copied->control.size() == data->length);
    CHECK(memcmp(copied->control.data(), data->buffer, data->length) == 0);
  }
}

TEST_CASE("a control header longer than its buffer is EINVAL on any socket",
          "[supervisor][network]") {
  Control control;
  control.Add(IPPROTO_IPV6, IPV6_HOPLIMIT, sizeof(int));
  reinterpret_cast<cmsghdr*>(control.buffer)->cmsg_len = control.length + 1;
  auto copied = Copy(control);
  REQUIRE_FALSE(copied);
  CHECK(copied.error().sys_errno == EINVAL);
}

}  // namespace
}  // namespace aarm::supervisor
