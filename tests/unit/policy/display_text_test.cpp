#include <catch2/catch.hpp>

#include <string>

#include "aarm/policy/display_text.hpp"

using aarm::policy::EscapeForDisplay;
using aarm::policy::QuoteForDisplay;

TEST_CASE("EscapeForDisplay leaves printable text alone", "[policy]") {
  CHECK(EscapeForDisplay("/home/user/project") == "/home/user/project");
  CHECK(EscapeForDisplay("caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x94\x92") ==
        "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x94\x92");
  CHECK(EscapeForDisplay("") == "");
}

TEST_CASE("EscapeForDisplay escapes control characters and backslashes", "[policy]") {
  CHECK(EscapeForDisplay("a\nb\rc\td") == "a\\nb\\rc\\td");
  CHECK(EscapeForDisplay("\x1b[2J\x1b]0;owned\x07") == "\\x1b[2J\\x1b]0;owned\\x07");
  CHECK(EscapeForDisplay(std::string("nul\0here", 8)) == "nul\\x00here");
  CHECK(EscapeForDisplay("del\x7f") == "del\\x7f");
  CHECK(EscapeForDisplay("C:\\path") == "C:\\\\path");
}

TEST_CASE("EscapeForDisplay escapes bytes that are not UTF-8", "[policy]") {
  CHECK(EscapeForDisplay("\xff\xfe") == "\\xff\\xfe");
  CHECK(EscapeForDisplay("\x9b" "31m") == "\\x9b31m");
  CHECK(EscapeForDisplay("\xc0\xaf") == "\\xc0\\xaf");          // overlong '/'
  CHECK(EscapeForDisplay("\xed\xa0\x80") == "\\xed\\xa0\\x80");  // surrogate
  CHECK(EscapeForDisplay("\xe2\x80") == "\\xe2\\x80");          // cut short
  CHECK(EscapeForDisplay("\xf4\x90\x80\x80") == "\\xf4\\x90\\x80\\x80");  // past U+10FFFF
}

TEST_CASE("EscapeForDisplay escapes invisible controls that are valid UTF-8", "[policy]") {
  CHECK(EscapeForDisplay("\xc2\x9b" "31m") == "\\u{009B}31m");
  CHECK(EscapeForDisplay("abc\xe2\x80\xae" "fdp.exe") == "abc\\u{202E}fdp.exe");
  CHECK(EscapeForDisplay("\xe2\x81\xa6x\xe2\x81\xa9") == "\\u{2066}x\\u{2069}");
  CHECK(EscapeForDisplay("a\xe2\x80\xa8" "b") == "a\\u{2028}b");
}

TEST_CASE("QuoteForDisplay quotes and shortens at a character boundary", "[policy]") {
  CHECK(QuoteForDisplay("x") == "'x'");
  CHECK(QuoteForDisplay("a\nb") == "'a\\nb'");
  CHECK(QuoteForDisplay(std::string(20, 'a'), 10) == "'aaaaaaaaaa...'");
  CHECK(QuoteForDisplay("a\xc3\xa9" "bcd", 2) == "'a...'");
  CHECK(QuoteForDisplay("abc", 3) == "'abc'");
}
