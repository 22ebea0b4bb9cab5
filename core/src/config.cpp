#include "vigil/config.h"

#include <fmt/format.h>
#include <sys/capability.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <set>
#include <sstream>

namespace vigil {
namespace {

namespace fs = std::filesystem;

// Walks one YAML document, remembering the file name for errors.
class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}

  [[noreturn]] void fail(const YAML::Node& at, const std::string& msg) const {
    const YAML::Mark m = at.Mark();
    if (m.is_null()) throw ConfigError(file_, 0, 0, msg);
    throw ConfigError(file_, m.line + 1, m.column + 1, msg);
  }

  void expect_map(const YAML::Node& n, std::string_view what) const {
    if (!n.IsMap()) fail(n, fmt::format("{} must be a mapping", what));
  }

  // Every key of `n` must be one of `known`.
  void check_keys(const YAML::Node& n, std::string_view what,
                  std::initializer_list<std::string_view> known) const {
    std::set<std::string> seen;
    for (const auto& kv : n) {
      const std::string key = kv.first.Scalar();
      if (!seen.insert(key).second) fail(kv.first, fmt::format("duplicate key '{}'", key));
      if (std::find(known.begin(), known.end(), key) == known.end()) {
        std::string list;
        for (auto k : known) list += fmt::format("{}{}", list.empty() ? "" : ", ", k);
        fail(kv.first, fmt::format("unknown key '{}' in {} (known: {})", key, what, list));
      }
    }
  }

  std::string string(const YAML::Node& n, std::string_view key) const {
    if (!n.IsScalar()) fail(n, fmt::format("'{}' must be a string", key));
    return n.Scalar();
  }

  uint64_t integer(const YAML::Node& n, std::string_view key, uint64_t min, uint64_t max) const {
    const std::string s = string(n, key);
    uint64_t v = 0;
    size_t used = 0;
    try {
      if (s.empty() || s[0] == '-') throw std::invalid_argument("sign");
      v = std::stoull(s, &used, 10);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != s.size()) {
      fail(n, fmt::format("'{}' must be a whole number, not '{}'", key, s));
    }
    if (v < min || v > max) {
      fail(n, fmt::format("'{}' must be between {} and {}, not {}", key, min, max, v));
    }
    return v;
  }

  double seconds(const YAML::Node& n, std::string_view key, double min, double max) const {
    const std::string s = string(n, key);
    double v = 0;
    size_t used = 0;
    try {
      v = std::stod(s, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != s.size() || !std::isfinite(v)) {
      fail(n, fmt::format("'{}' must be a number of seconds, not '{}'", key, s));
    }
    if (v < min || v > max) {
      fail(n, fmt::format("'{}' must be between {} and {} seconds, not {}", key, min, max, s));
    }
    return v;
  }

  uint64_t size(const YAML::Node& n, std::string_view key) const {
    const std::string s = string(n, key);
    try {
      return parse_size(s);
    } catch (const std::invalid_argument&) {
      fail(n, fmt::format("'{}' must be a size like 1048576, 64KiB, 100MiB or 1GiB, not '{}'", key,
                          s));
    }
  }

  bool boolean(const YAML::Node& n, std::string_view key) const {
    const std::string s = string(n, key);
    if (s == "true") return true;
    if (s == "false") return false;
    fail(n, fmt::format("'{}' must be true or false, not '{}'", key, s));
  }

  std::string choice(const YAML::Node& n, std::string_view key,
                     std::initializer_list<std::string_view> allowed) const {
    const std::string s = string(n, key);
    if (std::find(allowed.begin(), allowed.end(), s) != allowed.end()) return s;
    std::string list;
    for (auto a : allowed) list += fmt::format("{}{}", list.empty() ? "" : ", ", a);
    fail(n, fmt::format("'{}' must be one of {}, not '{}'", key, list, s));
  }

  std::vector<std::string> strings(const YAML::Node& n, std::string_view key) const {
    if (n.IsScalar()) return {n.Scalar()};
    if (!n.IsSequence()) fail(n, fmt::format("'{}' must be a string or a list of strings", key));
    std::vector<std::string> out;
    for (const auto& item : n) out.push_back(string(item, key));
    return out;
  }

 private:
  std::string file_;
};

constexpr std::string_view kFacilities[] = {
    "kern",   "user",   "mail",     "daemon", "auth",   "syslog", "lpr",    "news",
    "uucp",   "cron",   "authpriv", "ftp",    "ntp",    "audit",  "alert",  "clock",
    "local0", "local1", "local2",   "local3", "local4", "local5", "local6", "local7"};

// Checks an "address:" of a syslog output: unix:PATH or tcp:HOST:PORT.
bool valid_syslog_address(std::string_view a) {
  if (a.starts_with("unix:")) return a.size() > 5 && a[5] == '/';
  if (!a.starts_with("tcp:")) return false;
  const auto colon = a.rfind(':');
  if (colon <= 4) return false;
  const std::string_view port = a.substr(colon + 1);
  if (port.empty() || port.size() > 5) return false;
  return std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
         std::stoul(std::string(port)) - 1 < 65535;
}

OutputConfig parse_output(const Reader& r, const YAML::Node& n) {
  r.expect_map(n, "an output");
  OutputConfig o;
  const YAML::Node type = n["type"];
  if (!type) r.fail(n, "an output needs a 'type' (stdout, file, syslog or webhook)");
  const std::string t = r.choice(type, "type", {"stdout", "file", "syslog", "webhook"});

  if (t == "stdout") {
    o.kind = OutputKind::Stdout;
    r.check_keys(n, "a stdout output", {"type", "name", "format", "queue", "queue_bytes"});
  } else if (t == "file") {
    o.kind = OutputKind::File;
    r.check_keys(
        n, "a file output",
        {"type", "name", "format", "queue", "queue_bytes", "path", "rotate_size", "rotate_keep"});
    if (!n["path"]) r.fail(n, "a file output needs a 'path'");
    o.path = r.string(n["path"], "path");
    if (o.path.empty() || o.path[0] != '/') r.fail(n["path"], "'path' must be absolute");
    if (n["rotate_size"]) o.rotate_bytes = r.size(n["rotate_size"], "rotate_size");
    if (n["rotate_keep"]) o.rotate_keep = r.integer(n["rotate_keep"], "rotate_keep", 1, 1000);
  } else if (t == "syslog") {
    o.kind = OutputKind::Syslog;
    r.check_keys(
        n, "a syslog output",
        {"type", "name", "format", "queue", "queue_bytes", "address", "facility", "app_name"});
    if (n["address"]) {
      o.address = r.string(n["address"], "address");
      if (!valid_syslog_address(o.address)) {
        r.fail(n["address"],
               fmt::format("'address' must be unix:/PATH or tcp:HOST:PORT, not '{}'", o.address));
      }
    }
    if (n["facility"]) {
      const std::string f = r.string(n["facility"], "facility");
      const auto* it = std::find(std::begin(kFacilities), std::end(kFacilities), f);
      if (it == std::end(kFacilities)) {
        r.fail(n["facility"], fmt::format("unknown syslog facility '{}' (kern ... local7)", f));
      }
      o.facility = static_cast<uint8_t>(it - std::begin(kFacilities));
    }
    if (n["app_name"]) {
      o.app_name = r.string(n["app_name"], "app_name");
      const bool printable = std::all_of(o.app_name.begin(), o.app_name.end(),
                                         [](char c) { return c > 32 && c < 127; });
      if (o.app_name.empty() || o.app_name.size() > 48 || !printable) {
        r.fail(n["app_name"], "'app_name' must be 1 to 48 printable ASCII characters");
      }
    }
  } else {
    o.kind = OutputKind::Webhook;
    o.format = OutputFormat::Falco;
    r.check_keys(n, "a webhook output",
                 {"type", "name", "format", "queue", "queue_bytes", "url", "headers", "timeout",
                  "retries", "backoff", "ca_file", "tls_verify"});
    if (!n["url"]) r.fail(n, "a webhook output needs a 'url'");
    o.url = r.string(n["url"], "url");
    if (!o.url.starts_with("http://") && !o.url.starts_with("https://")) {
      r.fail(n["url"], fmt::format("'url' must start with http:// or https://, not '{}'", o.url));
    }
    if (const YAML::Node h = n["headers"]) {
      r.expect_map(h, "'headers'");
      for (const auto& kv : h) o.headers[kv.first.Scalar()] = r.string(kv.second, "headers");
    }
    if (n["timeout"]) {
      o.timeout_ms = static_cast<uint32_t>(r.seconds(n["timeout"], "timeout", 0.01, 300) * 1000);
    }
    if (n["retries"]) o.retries = r.integer(n["retries"], "retries", 0, 100);
    if (n["backoff"]) {
      o.backoff_ms = static_cast<uint32_t>(r.seconds(n["backoff"], "backoff", 0.001, 60) * 1000);
    }
    if (n["ca_file"]) o.ca_file = r.string(n["ca_file"], "ca_file");
    if (n["tls_verify"]) o.tls_verify = r.boolean(n["tls_verify"], "tls_verify");
  }

  o.name = std::string(output_kind_name(o.kind));
  if (n["name"]) o.name = r.string(n["name"], "name");
  if (n["format"]) {
    const std::string f = r.choice(n["format"], "format", {"json", "ocsf", "falco"});
    o.format = f == "json"   ? OutputFormat::Json
               : f == "ocsf" ? OutputFormat::Ocsf
                             : OutputFormat::Falco;
  }
  if (n["queue"]) o.queue = r.integer(n["queue"], "queue", 1, 1u << 24);
  if (n["queue_bytes"]) {
    o.queue_bytes = r.size(n["queue_bytes"], "queue_bytes");
    if (o.queue_bytes < 4096) r.fail(n["queue_bytes"], "'queue_bytes' must be at least 4KiB");
  }
  return o;
}

}  // namespace

ConfigError::ConfigError(std::string file, int line, int column, const std::string& message)
    : std::runtime_error(line > 0 ? fmt::format("{}:{}:{}: {}", file, line, column, message)
                                  : fmt::format("{}: {}", file, message)),
      file_(std::move(file)),
      line_(line),
      column_(column) {}

std::string_view output_kind_name(OutputKind k) {
  switch (k) {
    case OutputKind::Stdout:
      return "stdout";
    case OutputKind::File:
      return "file";
    case OutputKind::Syslog:
      return "syslog";
    case OutputKind::Webhook:
      return "webhook";
  }
  return "unknown";
}

std::string_view output_format_name(OutputFormat f) {
  switch (f) {
    case OutputFormat::Json:
      return "json";
    case OutputFormat::Ocsf:
      return "ocsf";
    case OutputFormat::Falco:
      return "falco";
  }
  return "unknown";
}

std::string_view default_config_path() {
  return "/etc/vigil/vigil.yaml";
}

std::string default_rules_path() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const fs::path installed = exe.parent_path() / VIGIL_RULES_FROM_BINDIR;
    if (fs::is_directory(installed, ec)) return fs::weakly_canonical(installed, ec).string();
  }
  return VIGIL_SOURCE_RULES;
}

Config default_config() {
  Config c;
  c.rules = {default_rules_path()};
  c.outputs.push_back(OutputConfig{});
  return c;
}

uint64_t parse_size(std::string_view text) {
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0 || digits > 15) throw std::invalid_argument("size");
  const uint64_t n = std::stoull(std::string(text.substr(0, digits)));
  const std::string_view unit = text.substr(digits);
  if (unit.empty() || unit == "B") return n;
  if (unit == "KiB") return n << 10;
  if (unit == "MiB") return n << 20;
  if (unit == "GiB") return n << 30;
  throw std::invalid_argument("size");
}

int capability_from_name(std::string_view name) {
  cap_value_t v = 0;
  if (cap_from_name(std::string(name).c_str(), &v) != 0) return -1;
  return v;
}

Config parse_config(std::string_view yaml, const std::string& name) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::ParserException& e) {
    throw ConfigError(name, e.mark.line + 1, e.mark.column + 1, e.msg);
  }

  Config c = default_config();
  c.source = name;
  if (root.IsNull()) return c;  // an empty file: all defaults
  const Reader r(name);
  r.expect_map(root, "the configuration");
  r.check_keys(root, "the configuration",
               {"driver", "rules", "shards", "batches", "ring_size", "log_level", "outputs",
                "metrics", "limits", "keep_capabilities"});

  if (root["driver"]) c.driver = r.choice(root["driver"], "driver", {"auto", "ebpf"});
  if (root["rules"]) {
    c.rules = r.strings(root["rules"], "rules");
    if (c.rules.empty()) r.fail(root["rules"], "'rules' needs at least one file or directory");
  }
  if (root["shards"]) c.shards = r.integer(root["shards"], "shards", 0, 1024);
  if (root["batches"]) c.batches = r.integer(root["batches"], "batches", 2, 65536);
  if (const YAML::Node n = root["ring_size"]) {
    const uint64_t bytes = r.size(n, "ring_size");
    if (bytes < (1u << 20) || bytes > (1ull << 30) || (bytes & (bytes - 1)) != 0) {
      r.fail(n, "'ring_size' must be a power of two from 1MiB to 1GiB");
    }
    c.ring_mib = static_cast<uint32_t>(bytes >> 20);
  }
  if (root["log_level"]) {
    c.log_level = r.choice(root["log_level"], "log_level", {"debug", "info", "warn", "error"});
  }

  if (const YAML::Node outs = root["outputs"]) {
    if (!outs.IsSequence() || outs.size() == 0) {
      r.fail(outs, "'outputs' must be a list of at least one output");
    }
    c.outputs.clear();
    std::map<std::string, int> per_kind;
    std::set<std::string> names;
    for (const auto& n : outs) {
      OutputConfig o = parse_output(r, n);
      const int k = ++per_kind[o.name];
      if (!n["name"] && k > 1) o.name += std::to_string(k);
      if (!names.insert(o.name).second) {
        r.fail(n["name"] ? n["name"] : n, fmt::format("two outputs are named '{}'", o.name));
      }
      c.outputs.push_back(std::move(o));
    }
  }

  if (const YAML::Node m = root["metrics"]) {
    r.expect_map(m, "'metrics'");
    r.check_keys(m, "'metrics'", {"listen"});
    if (m["listen"]) {
      c.metrics_listen = m["listen"].IsNull() ? "" : r.string(m["listen"], "listen");
      const auto colon = c.metrics_listen.rfind(':');
      if (!c.metrics_listen.empty() &&
          (colon == std::string::npos || colon == 0 || colon + 1 == c.metrics_listen.size())) {
        r.fail(m["listen"],
               fmt::format("'listen' must be HOST:PORT or \"\", not '{}'", c.metrics_listen));
      }
    }
  }

  if (const YAML::Node l = root["limits"]) {
    r.expect_map(l, "'limits'");
    r.check_keys(l, "'limits'", {"shutdown_timeout", "status_interval"});
    if (l["shutdown_timeout"]) {
      c.shutdown_timeout_s = r.seconds(l["shutdown_timeout"], "shutdown_timeout", 0.1, 600);
    }
    if (l["status_interval"]) {
      c.status_interval_s = r.seconds(l["status_interval"], "status_interval", 1, 3600);
    }
  }

  if (const YAML::Node k = root["keep_capabilities"]) {
    c.keep_capabilities = r.strings(k, "keep_capabilities");
    for (size_t i = 0; i < c.keep_capabilities.size(); ++i) {
      if (capability_from_name(c.keep_capabilities[i]) < 0) {
        r.fail(k.IsSequence() ? k[i] : k,
               fmt::format("unknown capability '{}'", c.keep_capabilities[i]));
      }
    }
  }
  return c;
}

Config load_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path, 0, 0, fmt::format("cannot read: {}", std::strerror(errno)));
  std::stringstream text;
  text << in.rdbuf();
  return parse_config(text.str(), path);
}

}  // namespace vigil
