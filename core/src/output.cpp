#include "vigil/output.h"

#include <concurrentqueue/blockingconcurrentqueue.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "transports.h"
#include "vigil/json.h"

namespace vigil {

std::string_view Message::payload(OutputFormat f) const {
  if (f == OutputFormat::Ocsf && !ocsf.empty()) return ocsf;
  if (f == OutputFormat::Falco && !falco.empty()) return falco;
  return json;
}

uint8_t syslog_severity(rules::Severity s) {
  switch (s) {
    case rules::Severity::Critical:
      return 2;
    case rules::Severity::High:
      return 3;
    case rules::Severity::Medium:
      return 4;
    case rules::Severity::Low:
      return 5;
    case rules::Severity::Info:
      return 6;
  }
  return 6;
}

std::string format_rfc5424(uint8_t facility, uint8_t severity, int64_t time_ns,
                           std::string_view host, std::string_view app, int pid,
                           std::string_view msgid, std::string_view msg) {
  if (!msg.empty() && msg.back() == '\n') msg.remove_suffix(1);
  std::string out;
  out.reserve(msg.size() + 128);
  out += '<';
  out += std::to_string(facility * 8 + severity);
  out += ">1 ";
  // RFC 5424 allows at most six digits of fractional seconds: cut to micros.
  std::string ts;
  append_rfc3339(ts, time_ns);
  if (ts.size() > 27) ts.erase(26, ts.size() - 27);  // "...SS.uuuuuu" + "Z"
  out += ts;
  out += ' ';
  out += host.empty() ? std::string_view("-") : host.substr(0, 255);
  out += ' ';
  out += app;
  out += ' ';
  out += std::to_string(pid);
  out += ' ';
  out += msgid;
  out += " - ";
  out += msg;
  return out;
}

struct Output::Impl : WriterContext {
  OutputConfig cfg;
  std::unique_ptr<Transport> transport;
  moodycamel::BlockingConcurrentQueue<MessagePtr> queue;
  std::atomic<size_t> queued{0};
  std::atomic<uint64_t> queued_bytes{0};  // payload bytes of the queued messages
  SharedCounter received;
  SharedCounter dropped;
  Counter delivered;  // writer thread
  Counter failed;     // writer thread
  Counter retries;    // writer thread
  std::atomic<bool> reopen{false};
  std::atomic<bool> closing_flag{false};
  std::chrono::steady_clock::time_point deadline{};  // set before closing_flag
  std::mutex mu;                                     // for wait()
  std::condition_variable cv;
  std::thread writer;
  bool started = false;
  bool joined = false;

  bool wait(std::chrono::milliseconds d) override {
    std::unique_lock lock(mu);
    if (!closing()) {
      cv.wait_for(lock, d, [&] { return closing(); });
    } else {
      // Draining: keep backing off, but never past the deadline.
      cv.wait_until(lock, std::min(std::chrono::steady_clock::now() + d, deadline));
    }
    return !past_deadline();
  }
  bool closing() const override { return closing_flag.load(std::memory_order_acquire); }
  bool past_deadline() const override {
    // Acquire pairs with begin_close(): the deadline is written before the flag.
    return closing_flag.load(std::memory_order_acquire) &&
           std::chrono::steady_clock::now() > deadline;
  }
  void count_retry() override { retries.add(); }

  void run() {
    moodycamel::ConsumerToken take(queue);
    std::vector<MessagePtr> batch(256);
    for (;;) {
      // Relaxed exchange: the flag carries no data; the transport reopens its own state.
      if (reopen.exchange(false, std::memory_order_relaxed)) transport->reopen();
      const size_t n = queue.wait_dequeue_bulk_timed(take, batch.begin(), batch.size(),
                                                     std::chrono::milliseconds(50));
      if (n == 0) {
        if (closing()) break;
        continue;
      }
      const std::span<const MessagePtr> todo(batch.data(), n);
      size_t done = 0;
      if (!past_deadline()) done = transport->deliver(todo, *this);
      uint64_t bytes = 0;
      for (size_t i = 0; i < n; ++i) {
        bytes += batch[i]->payload(cfg.format).size();
        batch[i].reset();
      }
      // Only now: messages in the writer's hands still count against the bounds.
      queued.fetch_sub(n, std::memory_order_relaxed);
      queued_bytes.fetch_sub(bytes, std::memory_order_relaxed);
      delivered.add(done);
      if (past_deadline()) {
        dropped.add(n - done);
      } else {
        failed.add(n - done);
      }
    }
  }
};

std::unique_ptr<Output> Output::open(const OutputConfig& cfg) {
  std::unique_ptr<Transport> t;
  switch (cfg.kind) {
    case OutputKind::Stdout:
    case OutputKind::File:
      t = detail::make_stream_transport(cfg);
      break;
    case OutputKind::Syslog:
      t = detail::make_syslog_transport(cfg);
      break;
    case OutputKind::Webhook:
      t = detail::make_webhook_transport(cfg);
      break;
  }
  return std::make_unique<Output>(cfg, std::move(t));
}

Output::Output(const OutputConfig& cfg, std::unique_ptr<Transport> transport)
    : impl_(std::make_unique<Impl>()) {
  impl_->cfg = cfg;
  impl_->transport = std::move(transport);
}

Output::~Output() {
  close(std::chrono::seconds(1));
}

void Output::start() {
  Impl& s = *impl_;
  if (s.started) return;
  s.started = true;
  s.writer = std::thread([&s] { s.run(); });
}

bool Output::submit(MessagePtr m) {
  Impl& s = *impl_;
  s.received.add();
  const uint64_t bytes = m->payload(s.cfg.format).size();
  // Relaxed: the bounds are approximate under concurrent submits (by at most
  // one message per shard), which is what they are for.
  if (s.closing() || s.queued.load(std::memory_order_relaxed) >= s.cfg.queue ||
      s.queued_bytes.load(std::memory_order_relaxed) + bytes > s.cfg.queue_bytes) {
    s.dropped.add();
    return false;
  }
  s.queued.fetch_add(1, std::memory_order_relaxed);
  s.queued_bytes.fetch_add(bytes, std::memory_order_relaxed);
  if (!s.queue.enqueue(std::move(m))) {
    s.queued.fetch_sub(1, std::memory_order_relaxed);
    s.queued_bytes.fetch_sub(bytes, std::memory_order_relaxed);
    s.dropped.add();
    return false;
  }
  return true;
}

bool Output::full() const {
  // Conservative: true only when any submit() would drop, whatever its size.
  return impl_->queued.load(std::memory_order_relaxed) >= impl_->cfg.queue ||
         impl_->queued_bytes.load(std::memory_order_relaxed) >= impl_->cfg.queue_bytes;
}

void Output::drop() {
  impl_->received.add();
  impl_->dropped.add();
}

void Output::request_reopen() {
  impl_->reopen.store(true, std::memory_order_relaxed);
}

void Output::begin_close(std::chrono::steady_clock::time_point deadline) {
  Impl& s = *impl_;
  if (s.closing()) return;
  {
    std::lock_guard lock(s.mu);
    s.deadline = deadline;
    s.closing_flag.store(true, std::memory_order_release);
  }
  s.cv.notify_all();
}

void Output::join() {
  Impl& s = *impl_;
  if (s.joined) return;
  s.joined = true;
  if (s.writer.joinable()) s.writer.join();
  // Whatever the writer did not take (never started, or submitted after its
  // last look) is lost: count it.
  MessagePtr m;
  while (s.queue.try_dequeue(m)) {
    s.queued.fetch_sub(1, std::memory_order_relaxed);
    s.dropped.add();
  }
  s.transport.reset();
}

void Output::close(std::chrono::milliseconds timeout) {
  begin_close(std::chrono::steady_clock::now() + timeout);
  join();
}

const std::string& Output::name() const {
  return impl_->cfg.name;
}
OutputKind Output::kind() const {
  return impl_->cfg.kind;
}
OutputFormat Output::format() const {
  return impl_->cfg.format;
}

OutputCounts Output::counts() const {
  const Impl& s = *impl_;
  OutputCounts c;
  c.received = s.received.get();
  c.delivered = s.delivered.get();
  c.dropped = s.dropped.get();
  c.failed = s.failed.get();
  c.retries = s.retries.get();
  c.queued = s.queued.load(std::memory_order_relaxed);
  return c;
}

std::unique_ptr<OutputSet> OutputSet::open(const std::vector<OutputConfig>& cfgs) {
  std::vector<std::unique_ptr<Output>> outs;
  for (const auto& c : cfgs) {
    try {
      outs.push_back(Output::open(c));
    } catch (const std::exception& e) {
      throw OutputError("output '" + c.name + "': " + e.what());
    }
  }
  return std::make_unique<OutputSet>(std::move(outs));
}

OutputSet::OutputSet(std::vector<std::unique_ptr<Output>> outputs) : outputs_(std::move(outputs)) {
  for (const auto& o : outputs_) {
    want_ocsf_ |= o->format() == OutputFormat::Ocsf;
    want_falco_ |= o->format() == OutputFormat::Falco;
  }
}

OutputSet::~OutputSet() {
  close(std::chrono::seconds(1));
}

void OutputSet::start() {
  for (auto& o : outputs_) o->start();
}

void OutputSet::offer(const MessagePtr& m) {
  for (auto& o : outputs_) o->submit(m);
}

bool OutputSet::all_full() {
  for (const auto& o : outputs_) {
    if (!o->full()) return false;
  }
  for (auto& o : outputs_) o->drop();
  return true;
}

void OutputSet::alert(const rules::Rule& rule, const EventView& ev, const Lineage& lin,
                      const RenderContext& ctx) {
  // Every destination is stuck: count, and spare the shard the rendering.
  if (all_full()) return;
  auto m = std::make_shared<Message>();
  m->json.reserve(1024);
  render_alert(m->json, rule, ev, lin, ctx);
  if (want_ocsf_) render_alert_ocsf(m->ocsf, rule, ev, lin, ctx);
  if (want_falco_) render_alert_falco(m->falco, rule, ev, lin, ctx);
  m->time_ns = ctx.clock->to_realtime_ns(ev.hdr().ts_ns);
  m->severity = syslog_severity(rule.severity);
  m->alert = true;
  offer(m);
}

void OutputSet::event(const EventView& ev, const Lineage& lin, const RenderContext& ctx) {
  if (all_full()) return;
  auto m = std::make_shared<Message>();
  m->json.reserve(1024);
  render_event(m->json, ev, lin, ctx);
  if (want_ocsf_) render_event_ocsf(m->ocsf, ev, lin, ctx);
  m->time_ns = ctx.clock->to_realtime_ns(ev.hdr().ts_ns);
  offer(m);
}

void OutputSet::submit(std::string json_line) {
  if (all_full()) return;
  auto m = std::make_shared<Message>();
  m->json = std::move(json_line);
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  m->time_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now).count();
  offer(m);
}

void OutputSet::reopen() {
  for (auto& o : outputs_) o->request_reopen();
}

void OutputSet::close(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (auto& o : outputs_) o->begin_close(deadline);
  for (auto& o : outputs_) o->join();
}

StageCounts OutputSet::counts() const {
  StageCounts s;
  for (const auto& o : outputs_) {
    const OutputCounts c = o->counts();
    s.received += c.received;
    s.passed += c.delivered;
    s.dropped += c.dropped + c.failed;
  }
  return s;
}

namespace detail {

std::string local_host_name() {
  char buf[256] = {};
  if (gethostname(buf, sizeof(buf) - 1) != 0) return "-";
  return buf;
}

}  // namespace detail
}  // namespace vigil
