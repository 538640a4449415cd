// The identity and profile of a session are part of what its signature covers.
#include <unistd.h>

#include "receipt_files.hpp"

using namespace aarm::receipts;
using namespace aarm::receipts::testing;
using nlohmann::json;

TEST_CASE("a real identity is recorded and any change to it fails verification",
          "[receipts][identity]") {
  TempDir dir;
  std::string path = dir / "r.jsonl";
  aarm::identity::Identity identity =
      aarm::identity::Collect("claude", {"claude", "-p", "bad\xff\nargv"});
  {
    SessionLog log = OpenLog(path, NewKey(), identity.session);
    REQUIRE(log.Start(aarm::identity::ToJson(identity), TestProfile(), "", {}));
    REQUIRE(log.End({0, std::nullopt}, {}));
  }
  std::vector<std::string> lines = ReadLines(path);
  json start = json::parse(lines[0]);
  CHECK(start["identity"]["human"]["uid"] == getuid());
  CHECK(start["identity"]["agent"]["argv_b64"][2] == Base64Encode("bad\xff\nargv"));
  CHECK(Check(path).Intact());

  for (std::string field : {"\"uid\":", "\"user\":\"", "\"host\":\"", "\"sha256\":\""}) {
    std::vector<std::string> changed = lines;
    size_t at = changed[0].find(field);
    REQUIRE(at != std::string::npos);
    char& c = changed[0][at + field.size()];
    c = c == '1' ? '2' : '1';
    WriteLines(dir / "changed.jsonl", changed);
    FileReport report = Check(dir / "changed.jsonl");
    INFO(field << "\n" << AllProblems(report));
    CHECK(ReasonsAt(report, 1).find("altered") != std::string::npos);
  }
}
