// Outputs: where alerts (and traced events) go. Each output is a bounded
// queue and a writer thread of its own in front of a transport (stdout, a
// file, syslog, a webhook). The shards hand every alert to every output and
// never wait: when an output's queue is full the alert is dropped for that
// output and counted. A slow or dead destination therefore costs its own
// alerts, never the pipeline's progress.
//
//   shard ──alert()──► OutputSet ──► Output "file"    [queue] ─► writer ─► file
//                                 └► Output "webhook" [queue] ─► writer ─► HTTP POST
//
// Each alert is rendered once per format any output wants (JSON, OCSF, Falco)
// and shared, read-only, by the outputs.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/config.h"
#include "vigil/counters.h"
#include "vigil/event.h"
#include "vigil/render.h"
#include "vigil/rules.h"

namespace vigil {

//! An output could not be set up (file not writable, bad URL ...). Start-up only.
class OutputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

//! One alert or event, rendered in each format some output wants. Immutable
//! once made; shared by the outputs.
struct Message {
  std::string json;      //!< Vigil's line, '\n'-terminated; always present
  std::string ocsf;      //!< '\n'-terminated, or empty when no output wants it
  std::string falco;     //!< '\n'-terminated, or empty when no output wants it
  int64_t time_ns = 0;   //!< when the kernel saw the event (Unix ns)
  uint8_t severity = 6;  //!< syslog severity: 2 critical ... 6 info
  bool alert = false;    //!< an alert (true) or a traced event

  //! The rendering for `f`, falling back to JSON when it was not made.
  std::string_view payload(OutputFormat f) const;
};
using MessagePtr = std::shared_ptr<const Message>;

//! One output's counters. received = delivered + dropped + failed + queued.
struct OutputCounts {
  uint64_t received = 0;   //!< offered by the shards
  uint64_t delivered = 0;  //!< written or accepted by the destination
  uint64_t dropped = 0;    //!< lost because the queue was full, or left at shutdown
  uint64_t failed = 0;     //!< given up on after the destination refused or failed them
  uint64_t retries = 0;    //!< delivery attempts that failed and were retried
  uint64_t queued = 0;     //!< waiting now, or being delivered
};

//! What a transport may ask of its writer thread while delivering.
class WriterContext {
 public:
  virtual ~WriterContext() = default;
  //! Waits up to `d` (and never past the close deadline); returns false
  //! when the output must give up (the deadline passed). Returns early when
  //! close() begins, so that draining starts at once.
  virtual bool wait(std::chrono::milliseconds d) = 0;
  //! True once close() began: stop holding on to undeliverable messages.
  virtual bool closing() const = 0;
  //! True once the close deadline passed: give up at once.
  virtual bool past_deadline() const = 0;
  //! Counts a failed attempt that will be retried.
  virtual void count_retry() = 0;
};

//! The destination side of an output, used only by its writer thread.
class Transport {
 public:
  virtual ~Transport() = default;
  //! Delivers `batch` in order. Returns how many of it were delivered; the
  //! others are counted as failed (as dropped once the close deadline
  //! passed). Must honour `ctx`.
  virtual size_t deliver(std::span<const MessagePtr> batch, WriterContext& ctx) = 0;
  //! Reopens files (SIGHUP, after logrotate moved them). Default: nothing.
  virtual void reopen() {}
};

class Output {
 public:
  //! Opens the destination as `cfg` says (the file is opened here, sockets and
  //! connections are made by the writer). The writer starts with start().
  //! Throws OutputError.
  static std::unique_ptr<Output> open(const OutputConfig& cfg);
  //! An output around any transport (tests).
  Output(const OutputConfig& cfg, std::unique_ptr<Transport> transport);
  //! Closes as close() does with a one-second deadline.
  ~Output();
  Output(const Output&) = delete;
  Output& operator=(const Output&) = delete;

  //! Starts the writer thread. Once; before or after submit().
  void start();

  //! Any thread. Queues `m`; returns false, and counts it dropped, when the
  //! queue is full or the output is closed. Never blocks.
  bool submit(MessagePtr m);

  //! Any thread. True when submit() would drop for want of room.
  bool full() const;
  //! Any thread. Counts one alert received and dropped without queueing it
  //! (OutputSet skips rendering when every output is full).
  void drop();

  //! Any thread. The writer reopens its file before its next write.
  void request_reopen();

  //! Tells the writer to deliver what is queued and stop by `deadline`;
  //! join() waits for it. Split so that many outputs drain in parallel.
  void begin_close(std::chrono::steady_clock::time_point deadline);
  void join();
  //! begin_close() then join(). Idempotent.
  void close(std::chrono::milliseconds timeout);

  const std::string& name() const;
  OutputKind kind() const;
  OutputFormat format() const;
  //! Any thread.
  OutputCounts counts() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

//! The outputs of one sensor: what the shards hand alerts to.
class OutputSet {
 public:
  //! Opens every output of `cfgs`. Throws OutputError naming the output.
  static std::unique_ptr<OutputSet> open(const std::vector<OutputConfig>& cfgs);
  explicit OutputSet(std::vector<std::unique_ptr<Output>> outputs);
  ~OutputSet();

  //! Starts every writer thread.
  void start();

  //! Shard threads. Render the alert (or event) in each format wanted and
  //! offer it to every output. Never block; never throw but std::bad_alloc.
  void alert(const rules::Rule& rule, const EventView& ev, const Lineage& lin,
             const RenderContext& ctx);
  void event(const EventView& ev, const Lineage& lin, const RenderContext& ctx);
  //! Offers a ready JSON line (ending in '\n') to every output, as is.
  void submit(std::string json_line);

  //! Any thread. Every output reopens its file (SIGHUP).
  void reopen();

  //! Drains every output in parallel within `timeout` in all. Idempotent.
  void close(std::chrono::milliseconds timeout);

  const std::vector<std::unique_ptr<Output>>& outputs() const { return outputs_; }
  //! Summed over the outputs: received, delivered, dropped + failed.
  StageCounts counts() const;

 private:
  void offer(const MessagePtr& m);
  //! True, having counted the drop on each, when every output is full.
  bool all_full();

  std::vector<std::unique_ptr<Output>> outputs_;
  bool want_ocsf_ = false;
  bool want_falco_ = false;
};

//! Syslog severity (RFC 5424) for a rule severity: critical 2, high 3,
//! medium 4, low 5, info 6.
uint8_t syslog_severity(rules::Severity s);

//! One RFC 5424 message without framing: "<PRI>1 TIME HOST APP PROCID MSGID - MSG".
//! `msg` loses a trailing '\n'. Exposed for tests.
std::string format_rfc5424(uint8_t facility, uint8_t severity, int64_t time_ns,
                           std::string_view host, std::string_view app, int pid,
                           std::string_view msgid, std::string_view msg);

}  // namespace vigil
