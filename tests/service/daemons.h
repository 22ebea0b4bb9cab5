// Test-only: real daemons the outputs are tested against, each started by
// the test with a configuration of its own in a scratch directory, on a
// loopback port or socket of its own: rsyslogd and nginx.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace vigil::test {

namespace fs = std::filesystem;

class ScratchDir {
 public:
  explicit ScratchDir(const std::string& tag)
      : path_(fs::temp_directory_path() / ("vigil-" + tag + "-" + std::to_string(getpid()))) {
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~ScratchDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

//! A loopback TCP port nobody listens on right now.
inline int free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(a);
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    close(fd);
    throw std::runtime_error("no free port");
  }
  close(fd);
  return ntohs(a.sin_port);
}

inline bool port_open(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
  close(fd);
  return ok;
}

//! Polls `cond` every 20 ms for up to `timeout`.
inline bool wait_until(const std::function<bool()>& cond,
                       std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return cond();
}

inline std::string read_file(const fs::path& p) {
  std::stringstream ss;
  ss << std::ifstream(p, std::ios::binary).rdbuf();
  return ss.str();
}

inline std::vector<std::string> read_lines(const fs::path& p) {
  std::vector<std::string> out;
  std::ifstream in(p, std::ios::binary);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

//! A child process: argv[0] is a path. Killed (SIGTERM, then SIGKILL) when
//! the object goes away.
class Child {
 public:
  Child() = default;
  explicit Child(std::vector<std::string> argv) {
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    if (posix_spawn(&pid_, args[0], nullptr, nullptr, args.data(), environ) != 0) {
      throw std::runtime_error("cannot start " + argv[0]);
    }
  }
  Child(Child&& o) noexcept : pid_(std::exchange(o.pid_, -1)) {}
  Child& operator=(Child&& o) noexcept {
    stop();
    pid_ = std::exchange(o.pid_, -1);
    return *this;
  }
  ~Child() { stop(); }

  pid_t pid() const { return pid_; }

  void stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    for (int i = 0; i < 250; ++i) {
      int st = 0;
      if (waitpid(pid_, &st, WNOHANG) == pid_) {
        pid_ = -1;
        return;
      }
      usleep(20 * 1000);
    }
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
};

//! rsyslogd with a unix socket (DIR/log.sock) and a TCP port on 127.0.0.1,
//! writing every message it receives to DIR/out.log, one line each:
//! facility|severity|hostname|app-name|procid|msgid|timestamp|msg
class Rsyslogd {
 public:
  explicit Rsyslogd(const fs::path& dir) : dir_(dir), port_(free_port()) {
    std::ofstream(dir_ / "rsyslog.conf")
        << "global(maxMessageSize=\"64k\" workDirectory=\"" << dir_.string() << "\")\n"
        << "module(load=\"imuxsock\" SysSock.Use=\"off\")\n"
        << "input(type=\"imuxsock\" Socket=\"" << socket_path().string()
        << "\" UseSpecialParser=\"off\" IgnoreTimestamp=\"off\" RateLimit.Interval=\"0\")\n"
        << "module(load=\"imtcp\")\n"
        << "input(type=\"imtcp\" address=\"127.0.0.1\" port=\"" << port_ << "\")\n"
        << "template(name=\"fields\" type=\"string\" string=\"%syslogfacility%|"
           "%syslogseverity%|%hostname%|%app-name%|%procid%|%msgid%|"
           "%timereported:::date-rfc3339%|%msg%\\n\")\n"
        << "action(type=\"omfile\" file=\"" << out_path().string() << "\" template=\"fields\")\n";
    start();
  }

  void start() {
    child_ = Child({"/usr/sbin/rsyslogd", "-n", "-f", (dir_ / "rsyslog.conf").string(), "-i",
                    (dir_ / "rsyslogd.pid").string()});
    if (!wait_until([&] { return port_open(port_) && fs::exists(socket_path()); })) {
      throw std::runtime_error("rsyslogd did not start");
    }
  }
  void stop() { child_.stop(); }

  int port() const { return port_; }
  fs::path socket_path() const { return dir_ / "log.sock"; }
  fs::path out_path() const { return dir_ / "out.log"; }

 private:
  fs::path dir_;
  int port_;
  Child child_;
};

//! nginx answering POST /alerts with 200 and logging each request body as a
//! line of DIR/bodies.log (with the content type before it, and a tab);
//! /fail answers 500. Plain HTTP on port(), HTTPS on tls_port() with a
//! self-signed certificate for 127.0.0.1 (cert_path()).
class Nginx {
 public:
  explicit Nginx(const fs::path& dir) : dir_(dir), port_(free_port()), tls_port_(free_port()) {
    const std::string d = dir_.string();
    const std::string openssl =
        "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1"
        " -addext subjectAltName=IP:127.0.0.1 -keyout " +
        d + "/key.pem -out " + d + "/cert.pem >/dev/null 2>&1";
    if (std::system(openssl.c_str()) != 0) throw std::runtime_error("openssl failed");
    const std::string locations =
        "    client_body_buffer_size 1m;\n"
        "    client_max_body_size 1m;\n"
        "    location = /alerts { echo_read_request_body; access_log " +
        d +
        "/bodies.log body; echo ok; }\n"
        "    location = /fail { access_log " +
        d + "/failed.log body; return 500; }\n";
    std::ofstream(dir_ / "nginx.conf")
        << "load_module /usr/lib/nginx/modules/ngx_http_echo_module.so;\n"
        << "worker_processes 1;\n"
        << "pid " << d << "/nginx.pid;\n"
        << "error_log " << d << "/error.log;\n"
        << "events { worker_connections 64; }\n"
        << "http {\n"
        << "  client_body_temp_path " << d << "/body;\n"
        << "  proxy_temp_path " << d << "/proxy;\n"
        << "  fastcgi_temp_path " << d << "/fastcgi;\n"
        << "  uwsgi_temp_path " << d << "/uwsgi;\n"
        << "  scgi_temp_path " << d << "/scgi;\n"
        << "  access_log off;\n"
        << "  log_format body escape=none '$content_type\t$request_body';\n"
        << "  server {\n    listen 127.0.0.1:" << port_ << ";\n"
        << locations << "  }\n"
        << "  server {\n    listen 127.0.0.1:" << tls_port_ << " ssl;\n"
        << "    ssl_certificate " << d << "/cert.pem;\n"
        << "    ssl_certificate_key " << d << "/key.pem;\n"
        << locations << "  }\n"
        << "}\n";
    start();
  }

  void start() {
    child_ = Child({"/usr/sbin/nginx", "-p", dir_.string(), "-c", (dir_ / "nginx.conf").string(),
                    "-e", (dir_ / "error.log").string(), "-g", "daemon off;"});
    if (!wait_until([&] { return port_open(port_) && port_open(tls_port_); })) {
      throw std::runtime_error("nginx did not start: " + read_file(dir_ / "error.log"));
    }
  }
  void stop() {
    child_.stop();
    wait_until([&] { return !port_open(port_); });
  }

  int port() const { return port_; }
  int tls_port() const { return tls_port_; }
  fs::path cert_path() const { return dir_ / "cert.pem"; }
  fs::path bodies_path() const { return dir_ / "bodies.log"; }
  fs::path failed_path() const { return dir_ / "failed.log"; }

 private:
  fs::path dir_;
  int port_;
  int tls_port_;
  Child child_;
};

}  // namespace vigil::test
