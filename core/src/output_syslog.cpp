// Syslog: RFC 5424 messages over a unix datagram socket (one message per
// datagram) or over TCP (RFC 6587 octet-counting: "LEN SP MESSAGE").
// While the receiver is unreachable the writer holds the message it is on
// and reconnects with exponential backoff; the queue in front absorbs what
// arrives meanwhile and drops (counting) past its bound.
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "transports.h"

namespace vigil::detail {
namespace {

class SyslogTransport : public Transport {
 public:
  explicit SyslogTransport(const OutputConfig& cfg)
      : cfg_(cfg), host_(local_host_name()), pid_(getpid()) {
    const std::string_view a = cfg.address;
    if (a.starts_with("unix:")) {
      path_ = a.substr(5);
      sockaddr_un sun{};
      if (path_.size() >= sizeof(sun.sun_path)) {
        throw OutputError("socket path too long: '" + path_ + "'");
      }
    } else {
      const std::string_view hp = a.substr(4);
      const auto colon = hp.rfind(':');
      tcp_host_ = hp.substr(0, colon);
      if (tcp_host_.size() > 2 && tcp_host_.front() == '[' && tcp_host_.back() == ']') {
        tcp_host_ = tcp_host_.substr(1, tcp_host_.size() - 2);
      }
      tcp_port_ = hp.substr(colon + 1);
    }
  }

  ~SyslogTransport() override { disconnect(); }

  size_t deliver(std::span<const MessagePtr> batch, WriterContext& ctx) override {
    size_t done = 0;
    for (const MessagePtr& m : batch) {
      frame(*m);
      bool too_big = false;
      while (!send_frame(ctx, too_big)) {
        if (too_big) break;
        disconnect();
        ctx.count_retry();
        if (!ctx.wait(backoff_)) return done;
        backoff_ = std::min(backoff_ * 2, std::chrono::milliseconds(30000));
      }
      if (too_big) continue;
      backoff_ = std::chrono::milliseconds(cfg_.backoff_ms);
      ++done;
    }
    return done;
  }

 private:
  bool tcp() const { return path_.empty(); }

  void frame(const Message& m) {
    const std::string msg =
        format_rfc5424(cfg_.facility, m.severity, m.time_ns, host_, cfg_.app_name, pid_,
                       m.alert ? "alert" : "event", m.payload(cfg_.format));
    frame_.clear();
    if (tcp()) {
      frame_ += std::to_string(msg.size());
      frame_ += ' ';
    }
    frame_ += msg;
  }

  // Connects if needed and sends frame_ whole. False on any failure;
  // `too_big` when the socket can never take this message.
  bool send_frame(WriterContext& ctx, bool& too_big) {
    if (fd_ >= 0 && tcp() && peer_closed()) disconnect();
    if (fd_ < 0 && !connect_now()) return false;
    std::string_view data = frame_;
    while (!data.empty()) {
      const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n >= 0) {
        if (!tcp()) return true;  // a datagram goes whole or not at all
        data.remove_prefix(static_cast<size_t>(n));
        continue;
      }
      if (errno == EINTR) continue;
      if (errno == EMSGSIZE) {
        spdlog::warn("output: '{}' dropped an alert of {} bytes, too big for {}", cfg_.name,
                     frame_.size(), cfg_.address);
        too_big = true;
        return false;
      }
      if (errno != EAGAIN) return note_failure("send", errno);
      // The receiver is slow: wait for room, in short polls so that close()
      // is never held past its deadline.
      pollfd p{fd_, POLLOUT, 0};
      if (poll(&p, 1, 100) < 0 && errno != EINTR) return note_failure("poll", errno);
      if (ctx.past_deadline()) return false;
    }
    if (down_) spdlog::info("output: '{}' delivers again to {}", cfg_.name, cfg_.address);
    down_ = false;
    return true;
  }

  bool connect_now() {
    if (!tcp()) {
      fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
      sockaddr_un sun{};
      sun.sun_family = AF_UNIX;
      std::memcpy(sun.sun_path, path_.data(), path_.size());
      if (fd_ < 0 || ::connect(fd_, reinterpret_cast<sockaddr*>(&sun), sizeof(sun)) != 0) {
        return note_failure("connect", errno);
      }
      return true;
    }

    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    if (const int rc = getaddrinfo(tcp_host_.c_str(), tcp_port_.c_str(), &hints, &res)) {
      return note_failure(std::string("resolve: ") + gai_strerror(rc), 0);
    }
    int err = ECONNREFUSED;
    for (addrinfo* ai = res; ai && fd_ < 0; ai = ai->ai_next) {
      fd_ = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
      if (fd_ < 0) {
        err = errno;
        continue;
      }
      if (::connect(fd_, ai->ai_addr, ai->ai_addrlen) != 0) {
        err = errno;
        if (err == EINPROGRESS) {
          pollfd p{fd_, POLLOUT, 0};
          socklen_t len = sizeof(err);
          err = ETIMEDOUT;
          if (poll(&p, 1, static_cast<int>(cfg_.timeout_ms)) == 1) {
            getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len);
          }
        }
        if (err != 0) {
          ::close(fd_);
          fd_ = -1;
        }
      }
    }
    freeaddrinfo(res);
    if (fd_ < 0) return note_failure("connect", err);
    return true;
  }

  // A syslog receiver never sends: anything readable on the socket is its
  // end-of-stream or an error. Sending into a closed connection would
  // succeed locally and lose the message, so look before each send.
  bool peer_closed() {
    char byte;
    const ssize_t n = ::recv(fd_, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR);
  }

  void disconnect() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  bool note_failure(const std::string& what, int err) {
    if (!down_) {
      spdlog::warn("output: '{}' cannot deliver to {} ({}{}{}); holding alerts and retrying",
                   cfg_.name, cfg_.address, what, err ? ": " : "", err ? std::strerror(err) : "");
    }
    down_ = true;
    return false;
  }

  OutputConfig cfg_;
  std::string host_;
  int pid_;
  std::string path_;  // unix socket; empty for TCP
  std::string tcp_host_, tcp_port_;
  int fd_ = -1;
  bool down_ = false;
  std::chrono::milliseconds backoff_{cfg_.backoff_ms};
  std::string frame_;
};

}  // namespace

std::unique_ptr<Transport> make_syslog_transport(const OutputConfig& cfg) {
  return std::make_unique<SyslogTransport>(cfg);
}

}  // namespace vigil::detail
