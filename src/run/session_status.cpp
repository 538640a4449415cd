#include "session_status.hpp"

#include <unistd.h>

#include <cerrno>

#include <nlohmann/json.hpp>

namespace aarm::run {

receipts::DecisionCounts AddCounts(receipts::DecisionCounts counts,
                                   const receipts::DecisionCounts& more) {
  for (const auto& [verdict, count] : more) counts[verdict] += count;
  return counts;
}

Result<void> WriteSessionStatus(int fd, const SessionStatus& status) {
  nlohmann::json object = {{"session", status.session},   {"exit_status", status.exit_status},
                           {"receipts", status.receipts}, {"head", status.head},
                           {"records", status.records},   {"counts", status.counts}};
  std::string line = object.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  size_t written = 0;
  while (written < line.size()) {
    ssize_t n = write(fd, line.data() + written, line.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return FailErrno("cannot write the status to descriptor " + std::to_string(fd));
    written += static_cast<size_t>(n);
  }
  return {};
}

}  // namespace aarm::run
