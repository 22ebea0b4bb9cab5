#include "vigil/service.h"

#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <syslog.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>

#include <csignal>
#include <cstdlib>
#include <mutex>
#include <system_error>

namespace vigil {
namespace {

SignalFlags g_flags;

void on_stop(int) {
  g_flags.stop.store(true, std::memory_order_relaxed);
}

void on_hangup(int) {
  g_flags.hangup.store(true, std::memory_order_relaxed);
}

// Messages read "component: text"; the component becomes a journal field.
std::string_view component_of(std::string_view msg) {
  const auto colon = msg.find(": ");
  if (colon == std::string_view::npos || colon == 0 || colon > 24) return "vigil";
  const std::string_view word = msg.substr(0, colon);
  for (char c : word) {
    if (!(std::islower(static_cast<unsigned char>(c)) || c == '_' || c == '-')) return "vigil";
  }
  return word;
}

int journal_priority(spdlog::level::level_enum l) {
  switch (l) {
    case spdlog::level::trace:
    case spdlog::level::debug:
      return LOG_DEBUG;
    case spdlog::level::info:
      return LOG_INFO;
    case spdlog::level::warn:
      return LOG_WARNING;
    case spdlog::level::err:
      return LOG_ERR;
    case spdlog::level::critical:
      return LOG_CRIT;
    default:
      return LOG_INFO;
  }
}

class JournalSink : public spdlog::sinks::base_sink<std::mutex> {
 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    const std::string_view text(msg.payload.data(), msg.payload.size());
    const std::string_view comp = component_of(text);
    sd_journal_send("MESSAGE=%.*s", static_cast<int>(text.size()), text.data(), "PRIORITY=%d",
                    journal_priority(msg.level), "SYSLOG_IDENTIFIER=vigil", "COMPONENT=%.*s",
                    static_cast<int>(comp.size()), comp.data(), nullptr);
  }
  void flush_() override {}
};

}  // namespace

SignalFlags& signal_flags() {
  return g_flags;
}

void install_signal_handlers() {
  struct sigaction sa {};
  sigemptyset(&sa.sa_mask);
  sa.sa_handler = on_stop;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  sa.sa_handler = on_hangup;
  sigaction(SIGHUP, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

bool started_by_systemd() {
  return std::getenv("JOURNAL_STREAM") != nullptr || std::getenv("INVOCATION_ID") != nullptr;
}

void setup_logging(std::string_view level) {
  std::shared_ptr<spdlog::logger> logger;
  if (started_by_systemd()) {
    logger = std::make_shared<spdlog::logger>("vigil", std::make_shared<JournalSink>());
  } else {
    logger = spdlog::stderr_color_mt("vigil");
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  }
  logger->set_level(spdlog::level::from_str(std::string(level)));
  spdlog::set_default_logger(logger);
}

Notifier::Notifier() {
  enabled_ = std::getenv("NOTIFY_SOCKET") != nullptr;
  uint64_t usec = 0;
  if (enabled_ && sd_watchdog_enabled(0, &usec) > 0) watchdog_ = std::chrono::microseconds(usec);
}

void Notifier::send(const std::string& state) {
  if (!enabled_) return;
  const int rc = sd_notify(0, state.c_str());
  if (rc < 0) spdlog::warn("systemd: notify failed: {}", std::strerror(-rc));
}

void Notifier::ready(std::string_view status) {
  send("READY=1\nSTATUS=" + std::string(status));
  if (watchdog_.count() > 0) {
    send("WATCHDOG=1");
    last_ping_ = std::chrono::steady_clock::now();
  }
}

void Notifier::status(std::string_view status) {
  send("STATUS=" + std::string(status));
}

void Notifier::stopping() {
  send("STOPPING=1\nSTATUS=stopping: draining queues and flushing outputs");
}

void Notifier::tick(std::chrono::steady_clock::time_point now) {
  if (watchdog_.count() == 0 || now - last_ping_ < watchdog_ / 2) return;
  send("WATCHDOG=1");
  last_ping_ = now;
}

void drop_capabilities(const std::vector<int>& keep) {
  // The bounding set first: dropping from it needs CAP_SETPCAP, which the
  // new sets below may no longer hold.
  for (cap_value_t c = 0; c <= CAP_LAST_CAP; ++c) {
    if (std::find(keep.begin(), keep.end(), c) != keep.end()) continue;
    if (CAP_IS_SUPPORTED(c) && cap_drop_bound(c) != 0 && errno != EINVAL) {
      throw std::system_error(errno, std::generic_category(), "cannot drop the bounding set");
    }
  }
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL) {
    throw std::system_error(errno, std::generic_category(), "cannot clear ambient capabilities");
  }

  cap_t caps = cap_init();
  if (!caps) throw std::system_error(errno, std::generic_category(), "cap_init");
  std::vector<cap_value_t> values(keep.begin(), keep.end());
  if (!values.empty()) {
    cap_set_flag(caps, CAP_EFFECTIVE, static_cast<int>(values.size()), values.data(), CAP_SET);
    cap_set_flag(caps, CAP_PERMITTED, static_cast<int>(values.size()), values.data(), CAP_SET);
  }
  const int rc = cap_set_proc(caps);
  const int err = errno;
  cap_free(caps);
  if (rc != 0) throw std::system_error(err, std::generic_category(), "cannot set capabilities");

  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    throw std::system_error(errno, std::generic_category(), "cannot set no_new_privs");
  }
}

std::string current_capabilities() {
  cap_t caps = cap_get_proc();
  if (!caps) return "?";
  char* text = cap_to_text(caps, nullptr);
  std::string out = text ? text : "?";
  cap_free(text);
  cap_free(caps);
  return out;
}

}  // namespace vigil
