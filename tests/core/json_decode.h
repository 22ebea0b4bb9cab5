// Test-only: decodes one JSON string literal back to bytes, reversing the
// "surrogateescape" convention of vigil/json.h (\udc80..\udcff is one raw
// byte). Strict: any other lone surrogate, bad escape or raw control
// character is a failure. Stands in for Python's
// json.loads(...).encode("utf-8", "surrogateescape").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace vigil::test {

inline void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xc0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xe0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else {
    out.push_back(static_cast<char>(0xf0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  }
}

inline bool read_hex4(std::string_view s, size_t at, uint32_t& v) {
  if (at + 4 > s.size()) return false;
  v = 0;
  for (size_t i = at; i < at + 4; ++i) {
    const char c = s[i];
    v <<= 4;
    if (c >= '0' && c <= '9') {
      v |= static_cast<uint32_t>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      v |= static_cast<uint32_t>(c - 'a' + 10);
    } else if (c >= 'A' && c <= 'F') {
      v |= static_cast<uint32_t>(c - 'A' + 10);
    } else {
      return false;
    }
  }
  return true;
}

//! `json` is a whole literal, quotes included.
inline bool decode_json_string(std::string_view json, std::string& out) {
  out.clear();
  if (json.size() < 2 || json.front() != '"' || json.back() != '"') return false;
  const std::string_view s = json.substr(1, json.size() - 2);
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == '"') return false;
    if (c != '\\') {
      out.push_back(static_cast<char>(c));
      continue;
    }
    if (++i >= s.size()) return false;
    switch (s[i]) {
      case '"':
        out.push_back('"');
        break;
      case '\\':
        out.push_back('\\');
        break;
      case '/':
        out.push_back('/');
        break;
      case 'n':
        out.push_back('\n');
        break;
      case 'r':
        out.push_back('\r');
        break;
      case 't':
        out.push_back('\t');
        break;
      case 'b':
        out.push_back('\b');
        break;
      case 'f':
        out.push_back('\f');
        break;
      case 'u': {
        uint32_t cp = 0;
        if (!read_hex4(s, i + 1, cp)) return false;
        i += 4;
        if (cp >= 0xdc80 && cp <= 0xdcff) {
          out.push_back(static_cast<char>(cp & 0xff));  // an escaped raw byte
        } else if (cp >= 0xd800 && cp <= 0xdbff) {
          uint32_t lo = 0;
          if (i + 2 >= s.size() || s[i + 1] != '\\' || s[i + 2] != 'u' ||
              !read_hex4(s, i + 3, lo) || lo < 0xdc00 || lo > 0xdfff) {
            return false;
          }
          i += 6;
          append_utf8(out, 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00));
        } else if (cp >= 0xdc00 && cp <= 0xdfff) {
          return false;
        } else {
          append_utf8(out, cp);
        }
        break;
      }
      default:
        return false;
    }
  }
  return true;
}

}  // namespace vigil::test
