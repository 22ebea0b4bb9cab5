#include "vigil/sink.h"

#include <concurrentqueue/blockingconcurrentqueue.h>
#include <fcntl.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>
#include <vector>

namespace vigil {

struct LineSink::Impl {
  int fd = -1;
  bool owns_fd = false;
  bool regular_file = false;
  size_t max_queued = 0;
  moodycamel::BlockingConcurrentQueue<std::string> queue;
  std::atomic<size_t> queued{0};
  SharedCounter received;
  SharedCounter dropped;
  Counter written;  // writer thread
  std::atomic<bool> closing{false};
  std::atomic<int64_t> deadline_ns{0};  // steady clock, valid once closing
  std::thread writer;
  bool closed = false;
  bool failure_logged = false;  // writer thread

  bool past_deadline() const {
    // Acquire pairs with close(): the deadline is stored before closing.
    if (!closing.load(std::memory_order_acquire)) return false;
    const auto now = std::chrono::steady_clock::now().time_since_epoch();
    return std::chrono::duration_cast<std::chrono::nanoseconds>(now).count() >
           deadline_ns.load(std::memory_order_relaxed);
  }

  // Writes all of `data`, unless the deadline passes or the output fails.
  // Waits for a pipe or terminal to take more in 100 ms polls, writing at
  // most what poll() promised fits, so a stalled reader cannot wedge us
  // past the deadline.
  bool write_all(std::string_view data) {
    while (!data.empty()) {
      size_t chunk = data.size();
      if (!regular_file) {
        pollfd p{fd, POLLOUT, 0};
        const int r = poll(&p, 1, 100);
        if (r < 0 && errno != EINTR) return fail(errno);
        if (r <= 0) {
          if (past_deadline()) return false;
          continue;
        }
        if (p.revents & (POLLERR | POLLHUP)) return fail(EPIPE);
        chunk = std::min<size_t>(chunk, PIPE_BUF);
      }
      const ssize_t n = ::write(fd, data.data(), chunk);
      if (n < 0) {
        if (errno == EINTR || errno == EAGAIN) continue;
        return fail(errno);
      }
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  bool fail(int err) {
    if (!failure_logged) {
      spdlog::error("output write failed, dropping lines until it recovers: {}",
                    std::strerror(err));
      failure_logged = true;
    }
    return false;
  }

  void run() {
    moodycamel::ConsumerToken take(queue);
    std::vector<std::string> lines(256);
    std::string buf;
    for (;;) {
      const size_t n = queue.wait_dequeue_bulk_timed(take, lines.begin(), lines.size(),
                                                     std::chrono::milliseconds(50));
      if (n == 0) {
        if (closing.load(std::memory_order_acquire)) break;
        continue;
      }
      queued.fetch_sub(n, std::memory_order_relaxed);
      buf.clear();
      for (size_t i = 0; i < n; ++i) buf += lines[i];
      if (!past_deadline() && write_all(buf)) {
        written.add(n);
        failure_logged = false;
      } else {
        dropped.add(n);
      }
    }
  }
};

LineSink::LineSink(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

std::unique_ptr<LineSink> LineSink::open(const std::string& path, const Options& opts) {
  auto impl = std::make_unique<Impl>();
  if (path == "-") {
    impl->fd = STDOUT_FILENO;
  } else {
    impl->fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (impl->fd < 0) {
      throw std::system_error(errno, std::generic_category(), "cannot open '" + path + "'");
    }
    impl->owns_fd = true;
  }
  struct stat st {};
  impl->regular_file = fstat(impl->fd, &st) == 0 && S_ISREG(st.st_mode);
  impl->max_queued = opts.max_queued;
  Impl* raw = impl.get();
  impl->writer = std::thread([raw] { raw->run(); });
  return std::unique_ptr<LineSink>(new LineSink(std::move(impl)));
}

LineSink::~LineSink() {
  close(std::chrono::seconds(1));
}

bool LineSink::submit(std::string line) {
  Impl& s = *impl_;
  s.received.add();
  if (s.queued.load(std::memory_order_relaxed) >= s.max_queued) {
    s.dropped.add();
    return false;
  }
  s.queued.fetch_add(1, std::memory_order_relaxed);
  if (!s.queue.enqueue(std::move(line))) {
    s.queued.fetch_sub(1, std::memory_order_relaxed);
    s.dropped.add();
    return false;
  }
  return true;
}

void LineSink::close(std::chrono::milliseconds deadline) {
  Impl& s = *impl_;
  if (s.closed) return;
  s.closed = true;
  const auto until = std::chrono::steady_clock::now().time_since_epoch() + deadline;
  s.deadline_ns.store(std::chrono::duration_cast<std::chrono::nanoseconds>(until).count(),
                      std::memory_order_relaxed);
  s.closing.store(true, std::memory_order_release);
  s.writer.join();

  // Lines submitted after the writer's last look are lost: count them.
  std::string line;
  while (s.queue.try_dequeue(line)) s.dropped.add();
  if (s.owns_fd) ::close(s.fd);
}

StageCounts LineSink::counts() const {
  return {impl_->received.get(), impl_->written.get(), impl_->dropped.get()};
}

}  // namespace vigil
