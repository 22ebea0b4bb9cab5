// The JSON writer: every byte string comes out as valid JSON and comes back
// byte for byte; control characters and invalid UTF-8 are escaped.
#include "vigil/json.h"

#include <gtest/gtest.h>
#include <iconv.h>

#include <random>

#include "json_decode.h"

namespace vigil {
namespace {

// Independent check that `s` is valid UTF-8: glibc's converter refuses
// overlongs, surrogates and truncated sequences.
bool valid_utf8(std::string_view s) {
  iconv_t cd = iconv_open("UTF-8", "UTF-8");
  std::string in(s), out(s.size() * 4 + 4, '\0');
  char* ip = in.data();
  char* op = out.data();
  size_t il = in.size(), ol = out.size();
  const bool ok = iconv(cd, &ip, &il, &op, &ol) != static_cast<size_t>(-1) && il == 0;
  iconv_close(cd);
  return ok;
}

std::string to_json(std::string_view bytes) {
  std::string out;
  append_json_string(out, bytes);
  return out;
}

TEST(JsonString, plain_ascii_passes_through) {
  EXPECT_EQ(to_json("ls -la /tmp"), R"("ls -la /tmp")");
  EXPECT_EQ(to_json(""), R"("")");
}

TEST(JsonString, quotes_backslashes_and_controls_are_escaped) {
  EXPECT_EQ(to_json("a\"b\\c"), R"("a\"b\\c")");
  EXPECT_EQ(to_json("l1\nl2\r\t\b\f"), R"("l1\nl2\r\t\b\f")");
  EXPECT_EQ(to_json(std::string_view("\0\x01\x1f\x7f", 4)), R"("\u0000\u0001\u001f\u007f")");
}

TEST(JsonString, valid_utf8_passes_through) {
  EXPECT_EQ(to_json("üñï"), "\"üñï\"");
  EXPECT_EQ(to_json("日本"), "\"日本\"");
  EXPECT_EQ(to_json("\xf0\x9f\x98\x80"), "\"\xf0\x9f\x98\x80\"");  // U+1F600
  EXPECT_EQ(to_json("\xf4\x8f\xbf\xbf"), "\"\xf4\x8f\xbf\xbf\"");  // U+10FFFF
}

TEST(JsonString, c1_controls_are_escaped) {
  EXPECT_EQ(to_json("\xc2\x85"), R"("\u0085")");
  EXPECT_EQ(to_json("\xc2\x9f"), R"("\u009f")");
  EXPECT_EQ(to_json("\xc2\xa0"), "\"\xc2\xa0\"");  // NBSP is text
}

TEST(JsonString, invalid_bytes_become_surrogate_escapes) {
  EXPECT_EQ(to_json("\xff\xfe"), R"("\udcff\udcfe")");
  EXPECT_EQ(to_json("a\x80z"), R"("a\udc80z")");                            // lone continuation
  EXPECT_EQ(to_json("\xc0\xaf"), R"("\udcc0\udcaf")");                      // overlong '/'
  EXPECT_EQ(to_json("\xe0\x80\xaf"), R"("\udce0\udc80\udcaf")");            // overlong
  EXPECT_EQ(to_json("\xed\xa0\x80"), R"("\udced\udca0\udc80")");            // encoded surrogate
  EXPECT_EQ(to_json("\xf4\x90\x80\x80"), R"("\udcf4\udc90\udc80\udc80")");  // past U+10FFFF
  EXPECT_EQ(to_json("\xf5"), R"("\udcf5")");
  EXPECT_EQ(to_json("\xe6\x97"), R"("\udce6\udc97")");  // cut sequence at the end
  EXPECT_EQ(to_json("\xe6\x97x"), R"("\udce6\udc97x")");
}

TEST(JsonString, every_byte_string_round_trips) {
  std::mt19937 rng(42);
  for (int i = 0; i < 20000; ++i) {
    std::string bytes(rng() % 24, '\0');
    for (char& c : bytes) c = static_cast<char>(rng() % 256);
    const std::string json = to_json(bytes);
    ASSERT_TRUE(valid_utf8(json)) << json;
    std::string back;
    ASSERT_TRUE(test::decode_json_string(json, back)) << json;
    ASSERT_EQ(back, bytes);
  }
}

TEST(JsonWriter, writes_nested_values_with_commas) {
  std::string out;
  JsonWriter w(out);
  w.begin_object();
  w.field("a", 1).field("b", std::string_view("x")).field("c", true);
  w.key("d").begin_array().number(-1).number(uint64_t{18446744073709551615ull}).end_array();
  w.key("e").begin_object().end_object();
  w.key("f").begin_array().begin_object().field("g", false).end_object().end_array();
  w.end_object();
  EXPECT_EQ(out, R"({"a":1,"b":"x","c":true,"d":[-1,18446744073709551615],"e":{},)"
                 R"("f":[{"g":false}]})");
}

TEST(JsonTime, rfc3339_with_nanoseconds) {
  std::string out;
  append_rfc3339(out, 1'764'777'600'000'000'001LL);  // 2025-12-03T16:00:00Z + 1 ns
  EXPECT_EQ(out, "2025-12-03T16:00:00.000000001Z");
  out.clear();
  append_rfc3339(out, 0);
  EXPECT_EQ(out, "1970-01-01T00:00:00.000000000Z");
}

}  // namespace
}  // namespace vigil
