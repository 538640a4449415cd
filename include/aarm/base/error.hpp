// Error values carried through every layer. Nothing below cmd/ throws across a module boundary:
// a failure is an Error with the failing object, the errno and a hint for the user.
#pragma once

#include <cerrno>
#include <string>

#include <tl/expected.hpp>

namespace aarm {

struct Error {
  std::string message;  // one line, already naming the failing object
  int sys_errno = 0;    // errno when a system call failed, else 0
  std::string hint;     // what the user can do about it; may be empty

  // "message: strerror(sys_errno)" — one line, no hint.
  std::string Describe() const;
};

template <typename T>
using Result = tl::expected<T, Error>;

inline tl::unexpected<Error> Fail(std::string message, std::string hint = {}) {
  return tl::unexpected<Error>(Error{std::move(message), 0, std::move(hint)});
}

// Captures errno at the call site; call it right after the failing system call.
inline tl::unexpected<Error> FailErrno(std::string message, int err = errno,
                                       std::string hint = {}) {
  return tl::unexpected<Error>(Error{std::move(message), err, std::move(hint)});
}

}  // namespace aarm
