#include "vigil/json.h"

#include <fmt/format.h>

#include <ctime>

namespace vigil {
namespace {

constexpr char kHex[] = "0123456789abcdef";

void append_u_escape(std::string& out, unsigned hi, unsigned lo) {
  const char esc[6] = {'\\', 'u', kHex[hi >> 4], kHex[hi & 15], kHex[lo >> 4], kHex[lo & 15]};
  out.append(esc, sizeof(esc));
}

bool is_cont(unsigned char c) {
  return (c & 0xc0) == 0x80;
}

// Length of the well-formed UTF-8 sequence at p (Unicode table 3-7), or 0.
size_t utf8_length(const unsigned char* p, const unsigned char* end) {
  const unsigned char c = p[0];
  const size_t avail = static_cast<size_t>(end - p);
  if (c >= 0xc2 && c <= 0xdf) return avail >= 2 && is_cont(p[1]) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    if (avail < 3 || !is_cont(p[2])) return 0;
    const unsigned char lo = c == 0xe0 ? 0xa0 : 0x80;  // no overlongs
    const unsigned char hi = c == 0xed ? 0x9f : 0xbf;  // no surrogates
    return p[1] >= lo && p[1] <= hi ? 3 : 0;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    if (avail < 4 || !is_cont(p[2]) || !is_cont(p[3])) return 0;
    const unsigned char lo = c == 0xf0 ? 0x90 : 0x80;  // no overlongs
    const unsigned char hi = c == 0xf4 ? 0x8f : 0xbf;  // nothing past U+10FFFF
    return p[1] >= lo && p[1] <= hi ? 4 : 0;
  }
  return 0;
}

bool plain_ascii(unsigned char c) {
  return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

}  // namespace

void append_json_string(std::string& out, std::string_view bytes) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const auto* end = p + bytes.size();
  out.push_back('"');
  while (p < end) {
    const auto* run = p;
    while (p < end && plain_ascii(*p)) ++p;
    out.append(reinterpret_cast<const char*>(run), static_cast<size_t>(p - run));
    if (p == end) break;

    const unsigned char c = *p;
    if (c < 0x80) {
      switch (c) {
        case '"':
          out.append("\\\"");
          break;
        case '\\':
          out.append("\\\\");
          break;
        case '\n':
          out.append("\\n");
          break;
        case '\r':
          out.append("\\r");
          break;
        case '\t':
          out.append("\\t");
          break;
        case '\b':
          out.append("\\b");
          break;
        case '\f':
          out.append("\\f");
          break;
        default:
          append_u_escape(out, 0x00, c);
          break;  // other C0 controls and DEL
      }
      ++p;
      continue;
    }

    const size_t n = utf8_length(p, end);
    if (n == 0) {
      append_u_escape(out, 0xdc, c);  // a byte that is not UTF-8: surrogateescape
      ++p;
    } else if (n == 2 && c == 0xc2 && p[1] < 0xa0) {
      append_u_escape(out, 0x00, p[1]);  // C1 control U+0080..U+009F
      p += 2;
    } else {
      out.append(reinterpret_cast<const char*>(p), n);
      p += n;
    }
  }
  out.push_back('"');
}

void append_rfc3339(std::string& out, int64_t unix_ns) {
  int64_t secs = unix_ns / 1'000'000'000;
  int64_t nanos = unix_ns % 1'000'000'000;
  if (nanos < 0) {
    nanos += 1'000'000'000;
    --secs;
  }
  const time_t t = static_cast<time_t>(secs);
  tm utc{};
  gmtime_r(&t, &utc);
  fmt::format_to(std::back_inserter(out), "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}Z",
                 utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min,
                 utc.tm_sec, nanos);
}

void JsonWriter::separate() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  const uint64_t bit = uint64_t{1} << depth_;
  if (first_ & bit) {
    first_ &= ~bit;
  } else {
    out_.push_back(',');
  }
}

JsonWriter& JsonWriter::begin_object() {
  separate();
  out_.push_back('{');
  ++depth_;
  first_ |= uint64_t{1} << depth_;
  return *this;
}

JsonWriter& JsonWriter::end_object() {
  --depth_;
  out_.push_back('}');
  return *this;
}

JsonWriter& JsonWriter::begin_array() {
  separate();
  out_.push_back('[');
  ++depth_;
  first_ |= uint64_t{1} << depth_;
  return *this;
}

JsonWriter& JsonWriter::end_array() {
  --depth_;
  out_.push_back(']');
  return *this;
}

JsonWriter& JsonWriter::key(std::string_view k) {
  separate();
  out_.push_back('"');
  out_.append(k);
  out_.append("\":");
  after_key_ = true;
  return *this;
}

JsonWriter& JsonWriter::string(std::string_view bytes) {
  separate();
  append_json_string(out_, bytes);
  return *this;
}

JsonWriter& JsonWriter::signed_number(int64_t v) {
  separate();
  fmt::format_to(std::back_inserter(out_), "{}", v);
  return *this;
}

JsonWriter& JsonWriter::unsigned_number(uint64_t v) {
  separate();
  fmt::format_to(std::back_inserter(out_), "{}", v);
  return *this;
}

JsonWriter& JsonWriter::boolean(bool v) {
  separate();
  out_.append(v ? "true" : "false");
  return *this;
}

JsonWriter& JsonWriter::time(int64_t unix_ns) {
  separate();
  out_.push_back('"');
  append_rfc3339(out_, unix_ns);
  out_.push_back('"');
  return *this;
}

}  // namespace vigil
