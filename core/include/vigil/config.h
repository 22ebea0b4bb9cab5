// The sensor's configuration: one YAML file (/etc/vigil/vigil.yaml by
// default), every setting with a default, command-line flags on top.
// packaging/vigil.yaml documents each setting; README.md the file as a whole.
//
// Loading happens at start-up (and in `vigil config check`) and throws
// ConfigError naming the file, line, column and what is wrong: an unknown
// key, a value of the wrong type or out of range. Nothing here is used on the
// hot path.
#pragma once

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace vigil {

//! A configuration error. what() reads "file:line:column: message", or
//! "file: message" when there is no position (the file cannot be read).
class ConfigError : public std::runtime_error {
 public:
  ConfigError(std::string file, int line, int column, const std::string& message);
  const std::string& file() const { return file_; }
  int line() const { return line_; }  //!< 1-based; 0 when unknown
  int column() const { return column_; }

 private:
  std::string file_;
  int line_;
  int column_;
};

//! Where an output sends alerts.
enum class OutputKind : uint8_t { Stdout, File, Syslog, Webhook };
//! How an output renders each alert (README.md, "Outputs").
enum class OutputFormat : uint8_t {
  Json,   //!< Vigil's own JSON line (README.md, "Alert format")
  Ocsf,   //!< OCSF 1.1: Detection Finding for alerts, activity classes for traced events
  Falco,  //!< Falco's alert JSON, what falcosidekick takes
};

std::string_view output_kind_name(OutputKind k);
std::string_view output_format_name(OutputFormat f);

struct OutputConfig {
  OutputKind kind = OutputKind::Stdout;
  //! Unique among the outputs; names it in logs and metrics. Default: the kind's name,
  //! then "<kind>2", "<kind>3" ... for more of one kind.
  std::string name = "stdout";
  OutputFormat format = OutputFormat::Json;
  //! Alerts waiting for this output before new ones are dropped (and counted).
  uint32_t queue = 16384;
  //! Bytes those alerts may hold (in this output's format) before new ones are
  //! dropped: bounds memory whatever the alerts' size (an argv of invalid
  //! UTF-8 renders six bytes per byte).
  uint64_t queue_bytes = 64ull << 20;

  // file
  std::string path;                      //!< appended to; created 0640
  uint64_t rotate_bytes = 100ull << 20;  //!< rotate when the file would pass this; 0: never
  uint32_t rotate_keep = 5;              //!< PATH.1 ... PATH.N kept

  // syslog
  std::string address = "unix:/dev/log";  //!< "unix:PATH" (datagram) or "tcp:HOST:PORT"
  uint8_t facility = 16;                  //!< local0
  std::string app_name = "vigil";

  // webhook
  std::string url;
  std::map<std::string, std::string> headers;
  uint32_t timeout_ms = 5000;  //!< per request, connection included
  uint32_t retries = 3;        //!< further attempts per alert after a failure
  uint32_t backoff_ms = 500;   //!< first wait after a failure, doubled per attempt up to 30 s
  std::string ca_file;         //!< PEM bundle to verify the server with; "": system's
  bool tls_verify = true;
};

struct Config {
  //! The file this came from; "" when none was read (built-in defaults).
  std::string source;

  std::string driver = "auto";     //!< auto | ebpf
  std::vector<std::string> rules;  //!< files or directories; default: default_rules_path()
  uint32_t shards = 0;             //!< shard workers; 0: one per CPU
  uint32_t batches = 64;           //!< 64 KiB batches queued per shard
  uint32_t ring_mib = 16;          //!< eBPF ring buffer, MiB, a power of two
  std::string log_level = "info";  //!< debug | info | warn | error

  std::vector<OutputConfig> outputs;              //!< default: one stdout output, JSON
  std::string metrics_listen = "127.0.0.1:9477";  //!< HOST:PORT; "": no metrics endpoint

  double shutdown_timeout_s = 5;  //!< to drain queues and flush outputs at exit
  double status_interval_s = 10;  //!< systemd STATUS= updates and rate computation
  //! Capabilities kept after start-up (names like "cap_kill"); every other one is dropped.
  std::vector<std::string> keep_capabilities;
};

//! /etc/vigil/vigil.yaml.
std::string_view default_config_path();

//! The rules shipped with this binary: the installed set beside it
//! (BINDIR/../share/vigil/rules) when that exists, else the source tree's.
std::string default_rules_path();

//! The built-in defaults.
Config default_config();

//! Reads `path`. Throws ConfigError. A file that does not exist is an error.
Config load_config(const std::string& path);
//! Same from text; `name` stands for the file name in errors.
Config parse_config(std::string_view yaml, const std::string& name);

//! Parses "64", "64KiB", "100MiB", "1GiB" into bytes. Throws std::invalid_argument.
uint64_t parse_size(std::string_view text);

//! A capability's number for a name like "cap_kill" (any case); -1 when unknown.
int capability_from_name(std::string_view name);

}  // namespace vigil
