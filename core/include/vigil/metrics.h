// Metrics: Prometheus text exposition on a local HTTP endpoint (/metrics,
// and /healthz), served by cpp-httplib on threads of its own. The hot path
// only bumps counters; a scrape reads them.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "vigil/counters.h"

namespace vigil {

//! Writes Prometheus text format 0.0.4. Not thread-safe.
class PromText {
 public:
  using Labels = std::vector<std::pair<std::string_view, std::string_view>>;

  //! Starts a metric family: "# HELP" and "# TYPE" lines. `type` is counter,
  //! gauge or histogram.
  void family(std::string_view name, std::string_view type, std::string_view help);
  //! One sample of the current family (or `name` with a suffix such as _bucket).
  void sample(std::string_view name, const Labels& labels, double value);
  void sample(std::string_view name, double value) { sample(name, {}, value); }

  const std::string& text() const { return out_; }

 private:
  std::string out_;
};

//! Durations in fixed buckets, for Prometheus. One writer thread, any readers.
class LatencyHistogram {
 public:
  //! Upper bounds in nanoseconds; the last bucket (+Inf) is implicit.
  static constexpr std::array<uint64_t, 12> kBoundsNs = {250,     500,     1'000,     2'500,
                                                         5'000,   10'000,  25'000,    50'000,
                                                         100'000, 250'000, 1'000'000, 10'000'000};

  //! Writer thread only.
  void record(uint64_t ns) {
    size_t i = 0;
    while (i < kBoundsNs.size() && ns > kBoundsNs[i]) ++i;
    buckets_[i].add();
    sum_ns_.add(ns);
  }

  //! Adds this histogram's counts to `buckets` (size kBoundsNs.size() + 1,
  //! not cumulative) and `sum_ns`. Any thread.
  void add_to(std::vector<uint64_t>& buckets, uint64_t& sum_ns) const;

 private:
  std::array<Counter, kBoundsNs.size() + 1> buckets_;
  Counter sum_ns_;
};

//! Writes a histogram family `name` (seconds) from summed bucket counts.
void write_histogram(PromText& out, std::string_view name, std::string_view help,
                     const std::vector<uint64_t>& buckets, uint64_t sum_ns);

//! The process's memory: resident set now and at its peak (from /proc), and
//! mimalloc's committed bytes when mimalloc is linked in. Any thread.
void write_memory_metrics(PromText& out);

//! An HTTP endpoint on `listen` (HOST:PORT) serving GET /metrics (the text
//! `render` returns) and GET /healthz ("ok", or 503 and the reason when
//! `health` returns one). `render` and `health` run on the server's threads,
//! one request at a time.
class MetricsServer {
 public:
  //! Binds and starts serving. Throws std::runtime_error when it cannot bind.
  MetricsServer(const std::string& listen, std::function<std::string()> render,
                std::function<std::string()> health);
  //! Stops serving and joins its threads.
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  //! The port it listens on (useful with port 0).
  int port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigil
