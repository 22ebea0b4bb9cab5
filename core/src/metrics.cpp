#include "vigil/metrics.h"

#include <fmt/format.h>
#include <httplib.h>
#include <spdlog/spdlog.h>

#include <cmath>
#include <fstream>
#include <mutex>
#include <thread>

// mimalloc's statistics, when the binary links it (the vigil executable
// does; tests do not). Weak, so that its absence leaves a null pointer.
extern "C" void mi_process_info(size_t* elapsed_msecs, size_t* user_msecs, size_t* system_msecs,
                                size_t* current_rss, size_t* peak_rss, size_t* current_commit,
                                size_t* peak_commit, size_t* page_faults) __attribute__((weak));

namespace vigil {
namespace {

void append_escaped_label(std::string& out, std::string_view v) {
  for (char c : v) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

// A value from /proc/self/status such as "VmRSS:  1234 kB", in bytes.
uint64_t proc_status_bytes(std::string_view key) {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with(key) && line.size() > key.size() && line[key.size()] == ':') {
      return std::strtoull(line.c_str() + key.size() + 1, nullptr, 10) * 1024;
    }
  }
  return 0;
}

}  // namespace

void PromText::family(std::string_view name, std::string_view type, std::string_view help) {
  fmt::format_to(std::back_inserter(out_), "# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

void PromText::sample(std::string_view name, const Labels& labels, double value) {
  out_ += name;
  if (!labels.empty()) {
    out_ += '{';
    for (size_t i = 0; i < labels.size(); ++i) {
      if (i) out_ += ',';
      out_ += labels[i].first;
      out_ += "=\"";
      append_escaped_label(out_, labels[i].second);
      out_ += '"';
    }
    out_ += '}';
  }
  out_ += ' ';
  if (std::isinf(value)) {
    out_ += value > 0 ? "+Inf" : "-Inf";
  } else if (value == std::floor(value) && std::fabs(value) < 1e15) {
    fmt::format_to(std::back_inserter(out_), "{}", static_cast<int64_t>(value));
  } else {
    fmt::format_to(std::back_inserter(out_), "{}", value);
  }
  out_ += '\n';
}

void LatencyHistogram::add_to(std::vector<uint64_t>& buckets, uint64_t& sum_ns) const {
  buckets.resize(kBoundsNs.size() + 1);
  for (size_t i = 0; i < buckets_.size(); ++i) buckets[i] += buckets_[i].get();
  sum_ns += sum_ns_.get();
}

void write_histogram(PromText& out, std::string_view name, std::string_view help,
                     const std::vector<uint64_t>& buckets, uint64_t sum_ns) {
  out.family(name, "histogram", help);
  const std::string bucket = std::string(name) + "_bucket";
  uint64_t cumulative = 0;
  for (size_t i = 0; i < buckets.size(); ++i) {
    cumulative += buckets[i];
    const std::string le = i < LatencyHistogram::kBoundsNs.size()
                               ? fmt::format("{}", LatencyHistogram::kBoundsNs[i] / 1e9)
                               : "+Inf";
    out.sample(bucket, {{"le", le}}, static_cast<double>(cumulative));
  }
  out.sample(std::string(name) + "_sum", static_cast<double>(sum_ns) / 1e9);
  out.sample(std::string(name) + "_count", static_cast<double>(cumulative));
}

void write_memory_metrics(PromText& out) {
  out.family("vigil_resident_memory_bytes", "gauge", "Resident set size of the sensor process.");
  out.sample("vigil_resident_memory_bytes", static_cast<double>(proc_status_bytes("VmRSS")));
  out.family("vigil_resident_memory_peak_bytes", "gauge", "Peak resident set size.");
  out.sample("vigil_resident_memory_peak_bytes", static_cast<double>(proc_status_bytes("VmHWM")));
  if (mi_process_info) {
    size_t elapsed, user, sys, rss, peak_rss, commit = 0, peak_commit = 0, faults;
    mi_process_info(&elapsed, &user, &sys, &rss, &peak_rss, &commit, &peak_commit, &faults);
    out.family("vigil_mimalloc_committed_bytes", "gauge", "Memory mimalloc has committed.");
    out.sample("vigil_mimalloc_committed_bytes", static_cast<double>(commit));
    out.family("vigil_mimalloc_committed_peak_bytes", "gauge", "Peak memory mimalloc committed.");
    out.sample("vigil_mimalloc_committed_peak_bytes", static_cast<double>(peak_commit));
  }
}

struct MetricsServer::Impl {
  httplib::Server server;
  std::thread thread;
  std::mutex render_mu;  // one scrape at a time
  int port = 0;
};

MetricsServer::MetricsServer(const std::string& listen, std::function<std::string()> render,
                             std::function<std::string()> health)
    : impl_(std::make_unique<Impl>()) {
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos) throw std::runtime_error("metrics: bad address '" + listen + "'");
  std::string host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  const int port = std::atoi(listen.c_str() + colon + 1);

  Impl* s = impl_.get();
  s->server.new_task_queue = [] {
    return new httplib::ThreadPool(1);
  };
  s->server.Get("/metrics", [s, render](const httplib::Request&, httplib::Response& res) {
    std::lock_guard lock(s->render_mu);
    res.set_content(render(), "text/plain; version=0.0.4; charset=utf-8");
  });
  s->server.Get("/healthz", [s, health](const httplib::Request&, httplib::Response& res) {
    std::lock_guard lock(s->render_mu);
    const std::string problem = health();
    if (problem.empty()) {
      res.set_content("ok\n", "text/plain");
    } else {
      res.status = 503;
      res.set_content(problem + "\n", "text/plain");
    }
  });

  // Bound and listening once this returns: clients may connect at once.
  s->port = port == 0 ? s->server.bind_to_any_port(host) : port;
  if (s->port <= 0 || (port != 0 && !s->server.bind_to_port(host, port))) {
    throw std::runtime_error("metrics: cannot listen on '" + listen + "'");
  }
  s->thread = std::thread([s] { s->server.listen_after_bind(); });
}

MetricsServer::~MetricsServer() {
  impl_->server.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

int MetricsServer::port() const {
  return impl_->port;
}

}  // namespace vigil
