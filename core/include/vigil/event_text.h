// Text forms of event values that both the JSON renderings and the rule
// fields use, so that a rule matches exactly what an alert shows.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "vigil/event.h"

namespace vigil {

//! `path` with "." and ".." components and repeated slashes resolved as
//! text, the way the kernel would if no component were a symlink. `path`
//! must be absolute. Thread-safe, never throws but std::bad_alloc.
void normalize_path(std::string_view path, std::string& out);

//! A file record's path: as recorded when it was resolved from the kernel's
//! file, or normalised (normalize_path) into `scratch` when it was joined
//! from a directory and the requested text (VIGIL_FILE_LEXICAL). `second`
//! picks path2.
std::string_view file_path(const EventView& ev, bool second, std::string& scratch);

//! An exec_failed record's path, normalised like file_path().
std::string_view exec_failed_path(const EventView& ev, std::string& scratch);

//! Replaces `out` with an IPv4 or IPv6 address as text ("10.0.0.1",
//! "2001:db8::1"); empty for other families.
void format_address(uint16_t family, const uint8_t addr[16], std::string& out);

//! Replaces `out` with a unix socket address for display and rules: a path
//! as it is; an abstract name (its first byte NUL) as "@" and the bytes
//! after the NUL, kept exactly.
void format_unix_path(std::string_view raw, std::string& out);

//! "ENOENT" for -2, "" for a result that is not an error.
std::string_view error_name(int64_t ret);

}  // namespace vigil
