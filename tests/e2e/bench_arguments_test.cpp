// The benchmark programs (bench/src) refuse a count that is not a positive number written alone,
// with one line and their usage status, instead of running some other number of iterations.
#include <catch2/catch.hpp>

#include "support/workspace.hpp"

namespace aarm::testing {
namespace {

std::string BenchPath(const std::string& name) { return BinDir() + "/bench/" + name; }

ProcessResult RunBench(const std::vector<std::string>& argv) {
  ProcessOptions options;
  options.argv = argv;
  options.env = {"PATH=/usr/bin:/bin"};
  return RunProcess(options);
}

// What atol(3) took as some number: trailing junk, a sign, spaces, nothing, overflow.
const std::vector<std::string> kBadCounts = {"10x", "5 ", " 5", "+5", "-3", "0", "", "x",
                                             "0x10", "99999999999999999999"};

void CheckRefused(const ProcessResult& result, int status, const std::string& line) {
  CHECK(result.status == status);
  CHECK(result.err == line + "\n");
  CHECK(result.out.empty());
}

TEST_CASE("workload refuses a count that is not a positive number", "[e2e][bench][bad-input]") {
  const std::string workload = BenchPath("workload");
  REQUIRE(PathExists(workload));
  for (const std::string& count : kBadCounts) {
    INFO("'" << count << "'");
    const std::string line = "workload: N must be a positive number, not '" + count + "'";
    CheckRefused(RunBench({workload, "open", "/dev/null", count}), 2, line);
    CheckRefused(RunBench({workload, "connect", count}), 2, line);
  }
  auto ran = RunBench({workload, "open", "/dev/null", "3"});
  CHECK(ran.status == 0);
  CHECK_THAT(ran.out, Catch::StartsWith("open 3 "));
}

TEST_CASE("mediate_floor refuses a worker count that is not a number from 1 to 64",
          "[e2e][bench][bad-input]") {
  const std::string floor = BenchPath("mediate_floor");
  REQUIRE(PathExists(floor));
  std::vector<std::string> bad = kBadCounts;
  bad.push_back("65");
  for (const std::string& workers : bad) {
    INFO("'" << workers << "'");
    CheckRefused(RunBench({floor, "continue", "-w", workers, "--", "/bin/true"}), 125,
                 "mediate_floor: WORKERS must be a number from 1 to 64, not '" + workers + "'");
  }
}

TEST_CASE("receipt_log_gen refuses a record count that is not a positive number",
          "[e2e][bench][bad-input]") {
  const std::string generator = BenchPath("receipt_log_gen");
  REQUIRE(PathExists(generator));
  Workspace ws;
  const std::string key = ws.Outside("no-key.pem");
  for (const std::string& count : kBadCounts) {
    INFO("'" << count << "'");
    const std::string line = "receipt_log_gen: N must be a positive number, not '" + count + "'";
    CheckRefused(RunBench({generator, key, ws.Outside("out.jsonl"), count}), 2, line);
    CheckRefused(RunBench({generator, "--raw", key, count}), 2, line);
  }
  CHECK_FALSE(PathExists(ws.Outside("out.jsonl")));
  // A good count gets as far as the key.
  auto raw = RunBench({generator, "--raw", key, "5"});
  CHECK(raw.status == 1);
  CHECK_THAT(raw.err, Catch::StartsWith("receipt_log_gen: key: "));
}

TEST_CASE("the network bench programs refuse a count that is not a positive number",
          "[e2e][bench][bad-input]") {
  const std::string bench = BenchPath("net_bench");
  const std::string load = BenchPath("net_load");
  REQUIRE(PathExists(bench));
  REQUIRE(PathExists(load));
  for (const std::string& count : kBadCounts) {
    INFO("'" << count << "'");
    CheckRefused(RunBench({bench, "connections", count, "bare"}), 2,
                 "net_bench: COUNT must be a positive number, not '" + count + "'");
    CheckRefused(RunBench({bench, "download", count}), 2,
                 "net_bench: BYTES must be a positive number, not '" + count + "'");
    CheckRefused(RunBench({load, "direct", "connections", count, "127.0.0.1", "1"}), 2,
                 "net_load: N must be a positive number, not '" + count + "'");
  }
  CHECK(RunBench({bench, "connections", "3", "nowhere"}).status == 2);  // an unknown path
  auto ran = RunBench({bench, "connections", "3", "bare", "floor"});
  CHECK(ran.status == 0);
  CHECK_THAT(ran.out, Catch::StartsWith("bare\t") && Catch::Contains("\nfloor\t"));
}

}  // namespace
}  // namespace aarm::testing
