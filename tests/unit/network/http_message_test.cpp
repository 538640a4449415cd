// Request heads, authorities, http:// targets and body framing, read the strict way.
#include <catch2/catch.hpp>

#include <string>

#include "../../../src/network/body_framer.hpp"
#include "../../../src/network/http_message.hpp"

using namespace aarm::network::detail;

TEST_CASE("Request heads", "[network]") {
  const HeadParse parse =
      ParseRequestHead("GET http://a.test/x HTTP/1.1\r\nHost:  a.test \r\nX-Two: 1\r\nx-two: 2\r\n\r\nrest");
  REQUIRE(parse.status == HeadStatus::kComplete);
  CHECK(parse.head.method == "GET");
  CHECK(parse.head.target == "http://a.test/x");
  CHECK(parse.head.version == "HTTP/1.1");
  CHECK(parse.head.Values("host") == std::vector<std::string_view>{"a.test"});
  CHECK(parse.head.Values("X-TWO") == std::vector<std::string_view>{"1", "2"});
  CHECK(parse.length == 68);

  CHECK(ParseRequestHead("GET / HTTP/1.1\r\nHost: a").status == HeadStatus::kIncomplete);
  CHECK(ParseRequestHead("GET / HTTP/2.0\r\n\r\n").status == HeadStatus::kMalformed);
  CHECK(ParseRequestHead("GET  / HTTP/1.1\r\n\r\n").status == HeadStatus::kMalformed);
  CHECK(ParseRequestHead("G(T / HTTP/1.1\r\n\r\n").status == HeadStatus::kMalformed);
  CHECK(ParseRequestHead("GET / HTTP/1.1\r\nBad Name: x\r\n\r\n").status == HeadStatus::kMalformed);
  CHECK(ParseRequestHead("GET / HTTP/1.1\r\nX: a\x01z\r\n\r\n").status == HeadStatus::kMalformed);
  CHECK(ParseRequestHead("GET / HTTP/1.1\r\nX: caf\xc3\xa9\r\n\r\n").status == HeadStatus::kComplete);
  CHECK(ParseRequestHead("GET / HTTP/1.1\r\nX: " + std::string(kMaxLineBytes, 'a') + "\r\n\r\n")
            .status == HeadStatus::kTooLarge);
  CHECK(ParseRequestHead("GET / HTTP/1.1\r\nX: " + std::string(kMaxLineBytes, 'a')).status ==
        HeadStatus::kTooLarge);
  std::string many = "GET / HTTP/1.1\r\n";
  while (many.size() <= kMaxHeadBytes) many += "X: " + std::string(100, 'a') + "\r\n";
  CHECK(ParseRequestHead(many + "\r\n").status == HeadStatus::kTooLarge);
}

TEST_CASE("Authorities and http:// targets", "[network]") {
  auto a = ParseAuthority("example.com:8443");
  REQUIRE(a);
  CHECK(a->host == "example.com");
  CHECK(a->port == 8443);
  a = ParseAuthority("[2001:db8::1]:443");
  REQUIRE(a);
  CHECK(a->host == "2001:db8::1");
  CHECK(a->port == 443);
  CHECK(ParseAuthority("example.com")->port == std::nullopt);
  for (const char* bad : {"", ":80", "a.test:", "a.test:0", "a.test:65536", "a.test:8a", "2001:db8::1",
                          "[2001:db8::1", "[a.test]:80", "[::1]x", "a.test:+80"}) {
    INFO(bad);
    CHECK_FALSE(ParseAuthority(bad).has_value());
  }

  auto uri = ParseHttpUri("HTTP://a.test?q=1");
  REQUIRE(uri);
  CHECK(uri->authority.host == "a.test");
  CHECK(uri->authority.port == 80);
  CHECK(uri->origin_form == "/?q=1");
  uri = ParseHttpUri("http://[::1]:8080/p/q");
  REQUIRE(uri);
  CHECK(uri->authority.host == "::1");
  CHECK(uri->origin_form == "/p/q");
  for (const char* bad : {"https://a.test/", "http://u@a.test/", "http://a.test/#f", "http:///x", "/x",
                          "http://a.test:99999/"}) {
    INFO(bad);
    CHECK_FALSE(ParseHttpUri(bad).has_value());
  }
}

namespace {

std::optional<BodyFramer> FramerFor(const std::string& headers) {
  const HeadParse parse = ParseRequestHead("POST / HTTP/1.1\r\n" + headers + "\r\n");
  REQUIRE(parse.status == HeadStatus::kComplete);
  return BodyFramer::ForRequest(parse.head);
}

}  // namespace

TEST_CASE("Body framing", "[network]") {
  auto none = FramerFor("");
  REQUIRE(none);
  CHECK(none->Complete());
  CHECK(none->Take("GET /next") == 0);

  auto length = FramerFor("Content-Length: 5\r\n");
  REQUIRE(length);
  CHECK(length->Take("abc") == 3);
  CHECK(length->Take("defGET") == 2);
  CHECK(length->Complete());

  const std::string chunked = "4\r\nWiki\r\n5;name=v\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nT: 1\r\n\r\n";
  auto whole = FramerFor("Transfer-Encoding: Chunked\r\n");
  REQUIRE(whole);
  CHECK(whole->Take(chunked + "GET /next") == chunked.size());
  CHECK(whole->Complete());
  auto bytewise = FramerFor("Transfer-Encoding: chunked\r\n");
  for (char c : chunked) {
    REQUIRE_FALSE(bytewise->Complete());
    CHECK(bytewise->Take(std::string_view(&c, 1)) == 1);
  }
  CHECK(bytewise->Complete());

  for (const char* bad : {"x\r\n", "\r\n", "4\nWiki", "4\r\nWikiX", "4\r\nWiki\r\r",
                          "1234567890123456\r\n", "0\r\nT: 1\n\r\n", "0\r\n\n"}) {
    auto framer = FramerFor("Transfer-Encoding: chunked\r\n");
    framer->Take(bad);
    INFO(bad);
    CHECK(framer->Failed());
  }
  CHECK_FALSE(FramerFor("Content-Length: 1\r\nTransfer-Encoding: chunked\r\n"));
  CHECK_FALSE(FramerFor("Content-Length: 1\r\nContent-Length: 2\r\n"));
  CHECK(FramerFor("Content-Length: 2\r\nContent-Length: 2\r\n"));
  CHECK_FALSE(FramerFor("Content-Length: -1\r\n"));
  CHECK_FALSE(FramerFor("Content-Length: 1, 1\r\n"));
  CHECK_FALSE(FramerFor("Transfer-Encoding: gzip\r\n"));
  CHECK_FALSE(FramerFor("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"));
}
