// Standard output and files: lines appended, the file rotated by size and
// reopened on request (SIGHUP, after logrotate moved it away).
#include <fcntl.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <system_error>

#include "transports.h"
#include "vigil/service.h"

namespace vigil::detail {
namespace {

class StreamTransport : public Transport {
 public:
  explicit StreamTransport(const OutputConfig& cfg) : cfg_(cfg) {
    if (cfg.kind == OutputKind::Stdout) {
      fd_ = STDOUT_FILENO;
      struct stat st {};
      regular_ = fstat(fd_, &st) == 0 && S_ISREG(st.st_mode);
    } else {
      const int err = open_file();
      if (err) throw OutputError("cannot open '" + cfg.path + "': " + std::strerror(err));
    }
  }

  ~StreamTransport() override {
    if (cfg_.kind == OutputKind::File && fd_ >= 0) ::close(fd_);
  }

  size_t deliver(std::span<const MessagePtr> batch, WriterContext& ctx) override {
    if (fd_ < 0 && open_file() != 0) return 0;
    size_t done = 0, pending = 0;
    buf_.clear();
    // Lines go out in chunks of whole lines: a failed write (disk full)
    // costs one chunk, and later chunks still try.
    auto flush_pending = [&] {
      if (flush(ctx)) done += pending;
      buf_.clear();
      pending = 0;
    };
    for (const MessagePtr& m : batch) {
      const std::string_view p = m->payload(cfg_.format);
      if (rotating() && size_ + buf_.size() + p.size() > cfg_.rotate_bytes &&
          size_ + buf_.size() > 0) {
        flush_pending();
        rotate();
        if (fd_ < 0) return done;
      } else if (!buf_.empty() && buf_.size() + p.size() > kChunkBytes) {
        flush_pending();
      }
      if (ctx.past_deadline()) return done;
      buf_ += p;
      ++pending;
    }
    flush_pending();
    return done;
  }

  void reopen() override {
    if (cfg_.kind != OutputKind::File) return;
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    if (const int err = open_file()) log_failure("cannot reopen", err);
  }

 private:
  static constexpr size_t kChunkBytes = 16 * 1024;

  bool rotating() const { return cfg_.kind == OutputKind::File && cfg_.rotate_bytes > 0; }

  // Returns 0 or the errno of the failed open.
  int open_file() {
    fd_ = ::open(cfg_.path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (fd_ < 0) return errno;
    struct stat st {};
    regular_ = fstat(fd_, &st) == 0 && S_ISREG(st.st_mode);
    size_ = regular_ ? static_cast<uint64_t>(st.st_size) : 0;
    return 0;
  }

  // PATH.N-1 -> PATH.N ... PATH -> PATH.1, then a fresh PATH.
  void rotate() {
    ::close(fd_);
    fd_ = -1;
    const std::string& p = cfg_.path;
    for (uint32_t i = cfg_.rotate_keep; i > 1; --i) {
      ::rename((p + "." + std::to_string(i - 1)).c_str(), (p + "." + std::to_string(i)).c_str());
    }
    if (::rename(p.c_str(), (p + ".1").c_str()) != 0) log_failure("cannot rotate", errno);
    if (const int err = open_file()) log_failure("cannot open after rotation", err);
  }

  // Writes buf_ whole. On failure the bytes of a partial write are taken
  // back (regular files), so that the file never holds half a line.
  bool flush(WriterContext& ctx) {
    std::string_view data = buf_;
    const uint64_t before = size_;
    while (!data.empty()) {
      size_t chunk = data.size();
      if (!regular_) {
        // A pipe or terminal: wait for room in 100 ms polls so that a stalled
        // reader cannot hold us past the close deadline.
        pollfd p{fd_, POLLOUT, 0};
        const int r = poll(&p, 1, 100);
        if (r < 0 && errno != EINTR) return fail(errno, before);
        if (r <= 0) {
          if (ctx.past_deadline()) return false;
          continue;
        }
        if (p.revents & (POLLERR | POLLHUP)) return fail(EPIPE, before);
        chunk = std::min<size_t>(chunk, PIPE_BUF);
      }
      const ssize_t n = ::write(fd_, data.data(), chunk);
      if (n < 0) {
        if (errno == EINTR || errno == EAGAIN) continue;
        return fail(errno, before);
      }
      data.remove_prefix(static_cast<size_t>(n));
      size_ += static_cast<uint64_t>(n);
    }
    buf_.clear();
    if (failing_) spdlog::info("output: '{}' writes again", cfg_.name);
    failing_ = false;
    return true;
  }

  bool fail(int err, uint64_t size_before) {
    if (cfg_.kind == OutputKind::Stdout && err == EPIPE) {
      // Whoever read our standard output is gone (`vigil trace | head`): like
      // any command in a pipeline, stop rather than run on for nobody.
      if (!failing_) spdlog::info("output: standard output closed; stopping");
      signal_flags().stop.store(true, std::memory_order_relaxed);
    }
    if (regular_ && size_ != size_before && ftruncate(fd_, static_cast<off_t>(size_before)) == 0) {
      size_ = size_before;
    }
    buf_.clear();
    if (!failing_) log_failure("write failed, dropping alerts until it recovers", err);
    failing_ = true;
    return false;
  }

  void log_failure(std::string_view what, int err) {
    spdlog::error("output: '{}' {}: {}", cfg_.name, what, std::strerror(err));
  }

  OutputConfig cfg_;
  int fd_ = -1;
  bool regular_ = false;
  uint64_t size_ = 0;  // bytes in the file, for rotation
  bool failing_ = false;
  std::string buf_;
};

}  // namespace

std::unique_ptr<Transport> make_stream_transport(const OutputConfig& cfg) {
  return std::make_unique<StreamTransport>(cfg);
}

}  // namespace vigil::detail
