// A small streaming JSON writer for alerts and traced events.
//
// Why not a JSON library: what the kernel hands us are bytes, not text.
// Paths and arguments may hold invalid UTF-8, and an alert must keep them
// byte for byte. Libraries either reject such strings or replace the bad
// bytes with U+FFFD, which loses them. append_json_string() instead writes
// each byte that is not part of valid UTF-8 as the escape \udcXX (XX its
// value, 80-ff), the "surrogateescape" convention: the output is valid JSON,
// no valid text can produce those escapes, and the bytes come back exactly
// (in Python: s.encode("utf-8", "surrogateescape")). Control characters
// (C0, DEL and C1) are always escaped, never passed through.
#pragma once

#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

namespace vigil {

//! Appends `bytes` to `out` as a quoted JSON string, escaped as above.
void append_json_string(std::string& out, std::string_view bytes);

//! Appends an RFC 3339 UTC time with nanoseconds: 2026-12-03T16:07:43.123456789Z.
void append_rfc3339(std::string& out, int64_t unix_ns);

//! Writes one JSON value into a string, inserting commas itself. Keys are
//! written as given: they must be plain ASCII without quotes or backslashes.
//! Not thread-safe; never throws except std::bad_alloc.
class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}

  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  //! Starts a member of the current object; the next call writes its value.
  JsonWriter& key(std::string_view k);

  JsonWriter& string(std::string_view bytes);
  template <std::integral T>
  JsonWriter& number(T v) {
    if constexpr (std::is_signed_v<T>) {
      return signed_number(static_cast<int64_t>(v));
    } else {
      return unsigned_number(static_cast<uint64_t>(v));
    }
  }
  JsonWriter& boolean(bool v);
  JsonWriter& time(int64_t unix_ns);

  //! Shorthands for key(k) followed by the value.
  template <class T>
  JsonWriter& field(std::string_view k, T v) {
    key(k);
    if constexpr (std::is_same_v<T, bool>) {
      return boolean(v);
    } else if constexpr (std::integral<T>) {
      return number(v);
    } else {
      return string(v);
    }
  }

 private:
  void separate();
  JsonWriter& signed_number(int64_t v);
  JsonWriter& unsigned_number(uint64_t v);

  std::string& out_;
  uint64_t first_ = 1;  // bit d set: no element written yet at depth d
  unsigned depth_ = 0;
  bool after_key_ = false;
};

}  // namespace vigil
