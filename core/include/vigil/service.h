// Running as a service: signals, logging to the journal or stderr, the
// systemd notify protocol (READY, STATUS, WATCHDOG, STOPPING) and dropping
// capabilities once start-up is done.
#pragma once

#include <atomic>
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace vigil {

//! Flags the signal handlers set. SIGINT and SIGTERM set `stop`; SIGHUP sets
//! `hangup` (reopen output files, reload rules). Any thread may read them.
struct SignalFlags {
  std::atomic<bool> stop{false};
  std::atomic<bool> hangup{false};
};

//! The process's flags; install_signal_handlers() makes the signals set them.
SignalFlags& signal_flags();
//! Installs the handlers above and ignores SIGPIPE (a closed output shows up
//! as EPIPE and is counted). Call once, from the main thread, before threads start.
void install_signal_handlers();

//! True when systemd started us with its journal as our log
//! (JOURNAL_STREAM or INVOCATION_ID set).
bool started_by_systemd();

//! Sets the default logger: the journal when started by systemd (fields
//! MESSAGE, PRIORITY, SYSLOG_IDENTIFIER=vigil, COMPONENT = the word before
//! the message's first ": "), stderr otherwise. `level` is debug, info, warn
//! or error. Logging from several threads is safe.
void setup_logging(std::string_view level);

//! Speaks the systemd notify protocol when NOTIFY_SOCKET is set; does nothing
//! otherwise. Watchdog pings are due every WATCHDOG_USEC / 2. Not thread-safe:
//! the main loop owns it.
class Notifier {
 public:
  Notifier();
  bool enabled() const { return enabled_; }
  //! The watchdog interval systemd asked for; zero when none.
  std::chrono::microseconds watchdog() const { return watchdog_; }

  void ready(std::string_view status);
  void status(std::string_view status);
  void stopping();
  //! Sends WATCHDOG=1 when half the interval has passed since the last one.
  void tick(std::chrono::steady_clock::time_point now);

 private:
  void send(const std::string& state);

  bool enabled_ = false;
  std::chrono::microseconds watchdog_{0};
  std::chrono::steady_clock::time_point last_ping_{};
};

//! Drops every capability except `keep` (numbers, see capability_from_name)
//! from the calling thread's effective, permitted and inheritable sets, from
//! the bounding set and from the ambient set, and sets no_new_privs. Threads
//! started later inherit the result; threads already running keep theirs,
//! so call it before starting any. Throws std::system_error.
void drop_capabilities(const std::vector<int>& keep);

//! The effective capabilities of the calling thread, as text ("=" when none).
std::string current_capabilities();

}  // namespace vigil
