// A tight loop of one system call pattern, for measuring what a sensor
// adds to it (perf/syscall_cost.sh runs it with and without vigil):
//
//   syscall_loop open    N   openat + close of an existing file
//   syscall_loop exec    N   fork + execve of /bin/true + wait
//   syscall_loop connect N   socket + UDP connect to 127.0.0.1 + close
//   syscall_loop getpid  N   getppid: a call no program is attached to
//
// Prints the mean wall-clock nanoseconds per iteration. The loop is the
// only work: the difference between two runs is the sensor's cost.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

extern char** environ;

namespace {

bool open_once(const char* path) {
  const int fd = openat(AT_FDCWD, path, O_RDONLY);
  if (fd < 0) return false;
  close(fd);
  return true;
}

bool exec_once() {
  const pid_t pid = fork();
  if (pid == 0) {
    char* argv[] = {const_cast<char*>("/bin/true"), nullptr};
    execve(argv[0], argv, environ);
    _exit(127);
  }
  int st = 0;
  return waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

bool connect_once(const sockaddr_in& to) {
  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) return false;
  const bool ok = connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof(to)) == 0;
  close(fd);
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s open|exec|connect|getpid ITERATIONS\n", argv[0]);
    return 2;
  }
  const std::string_view what = argv[1];
  const long n = std::atol(argv[2]);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(9);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

  const auto start = std::chrono::steady_clock::now();
  for (long i = 0; i < n; ++i) {
    bool ok = true;
    if (what == "open") {
      ok = open_once("/etc/hostname");
    } else if (what == "exec") {
      ok = exec_once();
    } else if (what == "connect") {
      ok = connect_once(to);
    } else if (what == "getpid") {
      syscall(SYS_getppid);
    } else {
      std::fprintf(stderr, "unknown loop '%s'\n", argv[1]);
      return 2;
    }
    if (!ok) {
      std::fprintf(stderr, "%s failed: %s\n", argv[1], std::strerror(errno));
      return 1;
    }
  }
  const auto ns =
      std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start);
  std::printf("%.1f\n", ns.count() / static_cast<double>(n));
  return 0;
}
