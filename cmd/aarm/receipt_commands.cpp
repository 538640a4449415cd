// aarm verify | show | keygen: checking receipts offline, reading them, and making the key that
// signs them.
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "aarm/base/paths.hpp"
#include "aarm/policy/display_text.hpp"
#include "aarm/receipts/signing_key.hpp"
#include "aarm/receipts/verifier.hpp"
#include "commands.hpp"

namespace aarm::cli {
namespace {

using policy::EscapeForDisplay;

// ---- verify -----------------------------------------------------------------------------------

struct VerifyArgs {
  std::string key;
  std::string expect_head;
  bool json = false;
  std::vector<std::string> files;
};

int VerifyCommand(const VerifyArgs& args) {
  receipts::VerifyOptions options;
  if (!args.key.empty()) {
    auto pub = receipts::LoadPublicKey(args.key);
    if (!pub) {
      PrintError(pub.error());
      return kUsageOrIo;
    }
    options.pinned_key = *pub;
  }
  if (!args.expect_head.empty()) {
    std::string head = args.expect_head;
    std::transform(head.begin(), head.end(), head.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (head.size() != 64 || head.find_first_not_of("0123456789abcdef") != std::string::npos) {
      PrintError(
          Error{"--expect-head: " + args.expect_head + " is not a SHA-256 hash (64 hex digits)"});
      return kUsageOrIo;
    }
    options.expect_head = head;
  }

  receipts::VerifyReport report = receipts::Verify(args.files, options);
  if (args.json) {
    fmt::print("{}\n", receipts::ToJson(report).dump(-1, ' ', true,
                                                     nlohmann::json::error_handler_t::replace));
  } else {
    for (const receipts::FileReport& file : report.files) {
      std::string name = EscapeForDisplay(file.path);
      if (file.io_error) PrintError(*file.io_error);
      for (const receipts::Problem& problem : file.problems) {
        // Reasons can quote a damaged record's fields: escape them like any untrusted text.
        if (problem.line == 0) {
          fmt::print(stderr, "{}: {}\n", name, EscapeForDisplay(problem.reason));
        } else {
          fmt::print(stderr, "{}:{}: {}\n", name, problem.line, EscapeForDisplay(problem.reason));
        }
      }
      if (file.problems_left_out > 0) {
        fmt::print(stderr, "{}: {} more problems not shown\n", name, file.problems_left_out);
      }
      if (file.Intact()) {
        fmt::print("ok: {}: {} session{}, {} record{}\n", name, file.sessions.size(),
                   file.sessions.size() == 1 ? "" : "s", file.records,
                   file.records == 1 ? "" : "s");
      }
    }
    for (const std::string& problem : report.problems) PrintError(problem);
  }
  if (report.IoError()) return kUsageOrIo;
  return report.Intact() ? kOk : kCheckFailed;
}

// ---- show -------------------------------------------------------------------------------------

struct ShowArgs {
  bool json = false;
  std::string session;
  std::string file;
};

const nlohmann::json& Member(const nlohmann::json& object, const char* key) {
  static const nlohmann::json kNull;
  if (!object.is_object()) return kNull;
  auto found = object.find(key);
  return found == object.end() ? kNull : *found;
}

// A field of a record as display text: strings escaped, anything else as compact JSON.
std::string Text(const nlohmann::json& value) {
  if (value.is_null()) return {};
  if (value.is_string()) return EscapeForDisplay(value.get_ref<const std::string&>());
  return EscapeForDisplay(value.dump(-1, ' ', true, nlohmann::json::error_handler_t::replace));
}

std::string ArgvText(const nlohmann::json& argv) {
  if (!argv.is_array()) return Text(argv);
  std::string out;
  for (const auto& arg : argv) {
    if (!out.empty()) out += ' ';
    std::string shown = Text(arg);
    bool quote = shown.empty() || shown.find_first_of(" '\"") != std::string::npos;
    out += quote ? "'" + shown + "'" : shown;
  }
  return out;
}

// What the action is about: its path, command line or network peer.
std::string ActionObject(const nlohmann::json& action) {
  std::string object;
  if (const auto& argv = Member(action, "argv"); !argv.is_null()) {
    object = ArgvText(argv);
  } else if (const auto& path = Member(action, "path"); !path.is_null()) {
    object = Text(path);
  } else if (const auto& host = Member(action, "host"); !host.is_null()) {
    object = Text(host);
  } else if (const auto& address = Member(action, "address"); !address.is_null()) {
    object = Text(address);
  }
  if (const auto& to = Member(action, "to"); !to.is_null()) object += " -> " + Text(to);
  if (const auto& port = Member(action, "port"); !port.is_null()) object += ":" + Text(port);
  return object;
}

std::string OutcomeText(const nlohmann::json& outcome) {
  const auto& ok = Member(outcome, "ok");
  // The record a connection leaves when it closes: what it carried.
  if (const auto& closed = Member(outcome, "closed"); closed.is_boolean() && closed.get<bool>()) {
    // A record without its counts (a crafted one: the service always writes both) shows '?'.
    auto count = [&](const char* name) {
      const auto& bytes = Member(outcome, name);
      return bytes.is_null() ? std::string("?") : Text(bytes);
    };
    return fmt::format("closed, {} bytes up, {} down", count("bytes_up"), count("bytes_down"));
  }
  if (ok.is_boolean() && ok.get<bool>()) return "ok";
  const auto& err = Member(outcome, "errno");
  if (err.is_number_integer()) {
    const char* name = strerrorname_np(err.get<int>());
    return name ? name : fmt::format("errno {}", err.get<int>());
  }
  if (!err.is_null()) return Text(err);
  return ok.is_boolean() ? "failed" : Text(outcome);
}

std::string CountsText(const nlohmann::json& counts) {
  if (!counts.is_object() || counts.empty()) return "none";
  std::string out;
  for (const auto& [verdict, count] : counts.items()) {
    if (!out.empty()) out += ' ';
    out += EscapeForDisplay(verdict) + "=" + Text(count);
  }
  return out;
}

struct Palette {
  const char* deny = "";
  const char* attention = "";
  const char* dim = "";
  const char* reset = "";
};

Palette ChoosePalette() {
  const char* term = std::getenv("TERM");
  if (!isatty(STDOUT_FILENO) || std::getenv("NO_COLOR") != nullptr ||
      (term != nullptr && std::strcmp(term, "dumb") == 0)) {
    return {};
  }
  return {"\033[1;31m", "\033[33m", "\033[2m", "\033[0m"};
}

struct ShownSession {
  std::string id;
  uint64_t first_line = 0;
  uint64_t last_line = 0;
  std::vector<std::string> header;  // already escaped
  std::vector<std::string> rows;    // already escaped
  nlohmann::json json;              // --json form
};

void DescribeStart(const nlohmann::json& record, ShownSession& shown) {
  const auto& identity = Member(record, "identity");
  const auto& human = Member(identity, "human");
  std::string who = "uid " + Text(Member(human, "uid"));
  if (auto user = Text(Member(human, "user")); !user.empty()) who += " (" + user + ")";
  if (auto sudo = Text(Member(human, "sudo_user")); !sudo.empty()) who += ", via sudo by " + sudo;
  shown.header.push_back("human    " + who);
  if (const auto& service = Member(identity, "service"); service.is_object()) {
    std::string text = Text(Member(service, "ci"));
    for (const char* key : {"repository", "run", "job", "workflow"}) {
      if (!Member(service, key).is_null())
        text += fmt::format(" {}={}", key, Text(Member(service, key)));
    }
    shown.header.push_back("service  " + text);
  }
  const auto& agent = Member(identity, "agent");
  shown.header.push_back("agent    " + Text(Member(agent, "name")) +
                         "  argv: " + ArgvText(Member(agent, "argv")));
  shown.header.push_back("host     " + Text(Member(identity, "host")));
  const auto& profile = Member(record, "profile");
  std::string sha = Text(Member(profile, "sha256"));
  shown.header.push_back("profile  " + Text(Member(profile, "name")) + "  sha256 " + sha);
  if (auto intent = Text(Member(profile, "intent")); !intent.empty()) {
    shown.header.push_back("intent   " + intent);
  }
  const auto& key = Member(record, "key");
  const auto& pinned = Member(key, "pinned");
  shown.header.push_back("key      " + Text(Member(key, "alg")) + " " + Text(Member(key, "pub")) +
                         (pinned.is_boolean() && pinned.get<bool>() ? "" : "  (not pinned)"));
  if (const auto& warnings = Member(record, "warnings"); warnings.is_array()) {
    for (const auto& warning : warnings) shown.header.push_back("warning  " + Text(warning));
  }
  shown.json["identity"] = identity;
  shown.json["profile"] = {{"name", Member(profile, "name")},
                           {"sha256", Member(profile, "sha256")},
                           {"intent", Member(profile, "intent")}};
  shown.json["key"] = key;
  shown.json["warnings"] = Member(record, "warnings");
}

void DescribeRecord(const nlohmann::json& record, const Palette& palette, ShownSession& shown) {
  std::string type = Text(Member(record, "type"));
  std::string ts = Text(Member(record, "ts"));
  nlohmann::json event = {{"seq", Member(record, "seq")},
                          {"ts", Member(record, "ts")},
                          {"type", Member(record, "type")}};
  if (type == "session.start") {
    DescribeStart(record, shown);
    shown.rows.push_back(fmt::format("{}  {}start{}", ts, palette.dim, palette.reset));
  } else if (type == "action") {
    const auto& action = Member(record, "action");
    const auto& process = Member(action, "process");
    const auto& decision = Member(record, "decision");
    std::string verdict = Text(Member(decision, "verdict"));
    const char* colour = verdict == "deny"                            ? palette.deny
                         : verdict == "step_up" || verdict == "defer" ? palette.attention
                                                                      : "";
    std::string rule = Text(Member(decision, "rule"));
    std::string by = Text(Member(decision, "by"));
    std::string object = ActionObject(action);
    shown.rows.push_back(fmt::format(
        "{}  pid {} {}  {} {}  {}{}{}{}{}  {}", ts, Text(Member(process, "pid")),
        Text(Member(process, "exe")), Text(Member(action, "kind")), object, colour, verdict,
        *colour ? palette.reset : "", rule.empty() ? "" : " rule " + rule,
        by.empty() || by == "policy" ? "" : " by " + by, OutcomeText(Member(record, "outcome"))));
    event.update({{"action", action},
                  {"verdict", Member(decision, "verdict")},
                  {"rule", Member(decision, "rule")},
                  {"by", Member(decision, "by")},
                  {"outcome", Member(record, "outcome")}});
  } else if (type == "summary") {
    shown.rows.push_back(fmt::format("{}  {}summary{}  not recorded one by one: {}", ts,
                                     palette.dim, palette.reset,
                                     CountsText(Member(record, "summary"))));
    event["summary"] = Member(record, "summary");
  } else if (type == "session.end") {
    const auto& exit = Member(record, "exit");
    std::string status = Member(exit, "signal").is_null()
                             ? "exit " + Text(Member(exit, "code"))
                             : "killed by signal " + Text(Member(exit, "signal"));
    shown.rows.push_back(fmt::format("{}  {}end{}  {}; not recorded one by one: {}", ts,
                                     palette.dim, palette.reset, status,
                                     CountsText(Member(record, "summary"))));
    shown.json["exit"] = exit;
    event["summary"] = Member(record, "summary");
  } else {
    shown.rows.push_back(fmt::format("{}  unknown record type {}", ts, type));
  }
  shown.json["events"].push_back(std::move(event));
}

int ShowCommand(const ShowArgs& args) {
  Palette palette = args.json ? Palette{} : ChoosePalette();
  std::vector<ShownSession> sessions;
  std::map<std::string, size_t> index;
  auto read = receipts::ForEachRecord(args.file, [&](uint64_t line, nlohmann::json&& record) {
    const auto& id = Member(record, "session");
    if (!id.is_string()) return true;
    const std::string& session = id.get_ref<const std::string&>();
    if (!args.session.empty() && session != args.session) return true;
    auto [it, added] = index.try_emplace(session, sessions.size());
    if (added) {
      ShownSession shown;
      shown.id = session;
      shown.first_line = line;
      shown.json = {{"session", session}, {"events", nlohmann::json::array()}};
      sessions.push_back(std::move(shown));
    }
    ShownSession& shown = sessions[it->second];
    shown.last_line = line;
    DescribeRecord(record, palette, shown);
    return true;
  });
  if (!read) {
    PrintError(read.error());
    return kUsageOrIo;
  }

  if (args.json) {
    nlohmann::json out = nlohmann::json::array();
    for (ShownSession& shown : sessions) {
      shown.json["lines"] = {shown.first_line, shown.last_line};
      out.push_back(std::move(shown.json));
    }
    fmt::print("{}\n", out.dump(-1, ' ', true, nlohmann::json::error_handler_t::replace));
  } else {
    for (const ShownSession& shown : sessions) {
      fmt::print("session {}  (lines {}-{})\n", EscapeForDisplay(shown.id), shown.first_line,
                 shown.last_line);
      for (const std::string& line : shown.header) fmt::print("  {}\n", line);
      for (const std::string& row : shown.rows) fmt::print("  {}\n", row);
      fmt::print("\n");
    }
  }
  if (!args.session.empty() && sessions.empty()) {
    PrintError(Error{"no session " + args.session + " in " + args.file});
    return kCheckFailed;
  }

  // What is shown is only as good as the file: say so when it does not verify.
  receipts::FileReport report = receipts::VerifyFile(args.file, {});
  if (report.io_error) {
    PrintError(*report.io_error);
    return kUsageOrIo;
  }
  if (!report.Intact()) {
    fmt::print(stderr, "aarm: warning: {} does not verify ({} problems); run aarm verify\n",
               EscapeForDisplay(args.file), report.problems.size() + report.problems_left_out);
    return kCheckFailed;
  }
  return kOk;
}

// ---- keygen -----------------------------------------------------------------------------------

struct KeygenArgs {
  std::string out;
  bool force = false;
};

int KeygenCommand(const KeygenArgs& args) {
  std::string dir = args.out.empty() ? XdgConfigHome() + "/aarm" : args.out;
  auto key = receipts::SigningKey::Generate();
  if (!key) {
    PrintError(key.error());
    return kUsageOrIo;
  }
  auto files = receipts::WriteKeyPair(*key, dir, args.force);
  if (!files) {
    PrintError(files.error());
    return files.error().sys_errno == EEXIST ? kCheckFailed : kUsageOrIo;
  }
  fmt::print("wrote {} (private, mode 0600)\n", EscapeForDisplay(files->private_path));
  fmt::print("wrote {}\n", EscapeForDisplay(files->public_path));
  fmt::print("public key: {}\n", key->PublicKeyBase64());
  fmt::print("verify receipts with: aarm verify --key {} FILE\n",
             EscapeForDisplay(files->public_path));
  return kOk;
}

}  // namespace

void RegisterReceiptCommands(CLI::App& app, int& exit_status) {
  auto verify_args = std::make_shared<VerifyArgs>();
  CLI::App* verify = app.add_subcommand(
      "verify", "Check receipt files: hash chain, sequence, signatures, complete sessions");
  verify->add_option("--key", verify_args->key,
                     "Public key (PEM) every session must be signed by: signing-key.pub.pem");
  verify->add_option("--expect-head", verify_args->expect_head,
                     "Fail unless a session ends with the record of this hash (from "
                     "aarm-run --status-fd), catching truncation and rollback");
  verify->add_flag("--json", verify_args->json, "Print the report as one JSON object");
  verify->add_option("FILE", verify_args->files, "Receipt files (JSON Lines)")->required();
  verify->callback([&exit_status, verify_args] { exit_status = VerifyCommand(*verify_args); });

  auto show_args = std::make_shared<ShowArgs>();
  CLI::App* show = app.add_subcommand(
      "show", "Show the sessions of a receipt file as a timeline: who, what, decision, outcome");
  show->add_flag("--json", show_args->json, "Print the timeline as JSON");
  show->add_option("--session", show_args->session, "Show only the session with this id");
  show->add_option("FILE", show_args->file, "Receipt file")->required();
  show->callback([&exit_status, show_args] { exit_status = ShowCommand(*show_args); });

  auto keygen_args = std::make_shared<KeygenArgs>();
  CLI::App* keygen = app.add_subcommand("keygen", "Make an Ed25519 key pair for signing receipts");
  keygen->add_option("--out", keygen_args->out,
                     "Directory for signing-key.pem and signing-key.pub.pem (default "
                     "$XDG_CONFIG_HOME/aarm)");
  keygen->add_flag("--force", keygen_args->force, "Replace an existing key pair");
  keygen->callback([&exit_status, keygen_args] { exit_status = KeygenCommand(*keygen_args); });
}

}  // namespace aarm::cli
