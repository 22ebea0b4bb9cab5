#include "vigil/event_text.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <cstring>

namespace vigil {

void normalize_path(std::string_view path, std::string& out) {
  out.clear();
  while (!path.empty()) {
    const size_t slash = path.find('/');
    const std::string_view part = path.substr(0, slash);
    path.remove_prefix(slash == std::string_view::npos ? path.size() : slash + 1);
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      const size_t last = out.rfind('/');
      out.resize(last == std::string::npos ? 0 : last);
      continue;
    }
    out.push_back('/');
    out.append(part);
  }
  if (out.empty()) out = "/";
}

std::string_view file_path(const EventView& ev, bool second, std::string& scratch) {
  const auto& f = ev.as<vigil_file>();
  const std::string_view raw = ev.str(second ? f.path2 : f.path);
  const uint32_t lexical = second ? VIGIL_FILE_LEXICAL2 : VIGIL_FILE_LEXICAL;
  if (!(f.info & lexical) || raw.empty() || raw[0] != '/') return raw;
  normalize_path(raw, scratch);
  return scratch;
}

std::string_view exec_failed_path(const EventView& ev, std::string& scratch) {
  const std::string_view raw = ev.str(ev.as<vigil_exec_failed>().path);
  if (raw.empty() || raw[0] != '/') return raw;
  normalize_path(raw, scratch);
  return scratch;
}

void format_address(uint16_t family, const uint8_t addr[16], std::string& out) {
  char buf[INET6_ADDRSTRLEN] = {};
  out.clear();
  if (family != AF_INET && family != AF_INET6) return;
  if (inet_ntop(family, addr, buf, sizeof(buf))) out = buf;
}

void format_unix_path(std::string_view raw, std::string& out) {
  out.assign(raw);
  if (!out.empty() && out[0] == '\0') out[0] = '@';
}

std::string_view error_name(int64_t ret) {
  if (ret >= 0 || ret < -4095) return {};
  const char* name = strerrorname_np(static_cast<int>(-ret));
  return name ? std::string_view(name) : std::string_view("EUNKNOWN");
}

}  // namespace vigil
