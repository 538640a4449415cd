#include "aarm/base/error.hpp"

#include <cstring>

namespace aarm {

std::string Error::Describe() const {
  if (sys_errno == 0) return message;
  return message + ": " + std::strerror(sys_errno);
}

}  // namespace aarm
