// Live: socket events through the real eBPF programs and `vigil trace`:
// TCP and UDP over IPv4 and IPv6, unix sockets by path and abstract name,
// and the result of connect. Needs root.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

#include "vigil_process.h"

namespace vigil::test {
namespace {

using nlohmann::json;

class NetLive : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(geteuid(), 0u) << "live tests load BPF programs: run as root"; }
};

json one(const std::vector<json>& v, const std::string& what) {
  EXPECT_EQ(v.size(), 1u) << what;
  return v.empty() ? json::object() : v[0];
}

uint16_t port_of(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  return ntohs(ss.ss_family == AF_INET ? reinterpret_cast<sockaddr_in&>(ss).sin_port
                                       : reinterpret_cast<sockaddr_in6&>(ss).sin6_port);
}

TEST_F(NetLive, tcp_over_ipv4_reports_bind_listen_connect_and_accept_with_both_ends) {
  Trace trace("bind,listen,connect,accept");
  ASSERT_TRUE(trace.ready()) << trace.err();
  uint16_t server_port = 0, client_port = 0;
  int pipefd[2];
  ASSERT_EQ(pipe(pipefd), 0);
  const pid_t child = run_in_child([&] {
    const int srv = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(srv, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) return 1;
    if (listen(srv, 7) != 0) return 2;
    a.sin_port = htons(port_of(srv));
    const int cli = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(cli, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) return 3;
    if (accept(srv, nullptr, nullptr) < 0) return 4;
    const uint16_t ports[2] = {port_of(srv), port_of(cli)};
    return write(pipefd[1], ports, sizeof(ports)) == sizeof(ports) ? 0 : 5;
  });
  close(pipefd[1]);
  uint16_t ports[2] = {};
  ASSERT_EQ(read(pipefd[0], ports, sizeof(ports)), static_cast<ssize_t>(sizeof(ports)));
  close(pipefd[0]);
  server_port = ports[0];
  client_port = ports[1];
  const auto lines = trace.stop();

  const json b = one(events_of(lines, child, "bind"), "bind");
  EXPECT_EQ(b["net"]["family"], "inet");
  EXPECT_EQ(b["net"]["saddr"], "127.0.0.1");
  EXPECT_EQ(b["net"]["sport"], server_port) << "the port the kernel picked";
  EXPECT_EQ(b["net"]["protocol"], IPPROTO_TCP);
  const json l = one(events_of(lines, child, "listen"), "listen");
  EXPECT_EQ(l["net"]["backlog"], 7);
  EXPECT_EQ(l["net"]["sport"], server_port);
  const json c = one(events_of(lines, child, "connect"), "connect");
  EXPECT_EQ(c["event"]["ret"], 0);
  EXPECT_EQ(c["net"]["daddr"], "127.0.0.1");
  EXPECT_EQ(c["net"]["dport"], server_port);
  EXPECT_EQ(c["net"]["saddr"], "127.0.0.1");
  EXPECT_EQ(c["net"]["sport"], client_port);
  EXPECT_EQ(c["net"]["type"], SOCK_STREAM);
  const json a = one(events_of(lines, child, "accept"), "accept");
  EXPECT_EQ(a["net"]["sport"], server_port);
  EXPECT_EQ(a["net"]["dport"], client_port) << "the accepted peer";
  EXPECT_EQ(a["net"]["daddr"], "127.0.0.1");
  EXPECT_GE(a["event"]["ret"], 0);
}

TEST_F(NetLive, udp_over_ipv6_and_a_refused_connect_carry_their_result) {
  Trace trace("connect");
  ASSERT_TRUE(trace.ready()) << trace.err();
  const pid_t child = run_in_child([&] {
    const int udp = socket(AF_INET6, SOCK_DGRAM, 0);
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    inet_pton(AF_INET6, "2001:db8::7", &a.sin6_addr);
    a.sin6_port = htons(5353);
    // No route is fine: the kernel then refuses, and that result is reported.
    connect(udp, reinterpret_cast<sockaddr*>(&a), sizeof(a));
    const int tcp = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in b{};
    b.sin_family = AF_INET;
    b.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    b.sin_port = htons(1);  // nothing listens there
    return connect(tcp, reinterpret_cast<sockaddr*>(&b), sizeof(b)) == 0 ? 1 : 0;
  });
  const auto lines = trace.stop();

  const auto conns = events_of(lines, child, "connect");
  ASSERT_EQ(conns.size(), 2u);
  EXPECT_EQ(conns[0]["net"]["family"], "inet6");
  EXPECT_EQ(conns[0]["net"]["daddr"], "2001:db8::7");
  EXPECT_EQ(conns[0]["net"]["dport"], 5353);
  EXPECT_EQ(conns[0]["net"]["protocol"], IPPROTO_UDP);
  EXPECT_EQ(conns[0]["net"]["type"], SOCK_DGRAM);
  EXPECT_EQ(conns[1]["event"]["ret"], -ECONNREFUSED);
  EXPECT_EQ(conns[1]["event"]["error"], "ECONNREFUSED");
  EXPECT_EQ(conns[1]["net"]["daddr"], "127.0.0.1");
  EXPECT_EQ(conns[1]["net"]["dport"], 1);
}

TEST_F(NetLive, unix_sockets_show_their_path_and_abstract_names_marked) {
  Trace trace("bind,connect");
  ASSERT_TRUE(trace.ready()) << trace.err();
  const std::string path = (trace.dir() / "sock").string();
  // An abstract name: a leading NUL, and any bytes after it, NULs included.
  const std::string abstract("\0vigil-abs\0tail", 15);
  const pid_t child = run_in_child([&] {
    const int srv = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::memcpy(a.sun_path, path.data(), path.size());
    if (bind(srv, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) return 1;
    listen(srv, 1);
    const int cli = socket(AF_UNIX, SOCK_STREAM, 0);
    if (connect(cli, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) return 2;

    const int asrv = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un b{};
    b.sun_family = AF_UNIX;
    std::memcpy(b.sun_path, abstract.data(), abstract.size());
    const socklen_t blen = offsetof(sockaddr_un, sun_path) + abstract.size();
    if (bind(asrv, reinterpret_cast<sockaddr*>(&b), blen) != 0) return 3;
    listen(asrv, 1);
    const int acli = socket(AF_UNIX, SOCK_STREAM, 0);
    return connect(acli, reinterpret_cast<sockaddr*>(&b), blen) == 0 ? 0 : 4;
  });
  const auto lines = trace.stop();

  const auto conns = events_of(lines, child, "connect");
  ASSERT_EQ(conns.size(), 2u);
  EXPECT_EQ(conns[0]["net"]["family"], "unix");
  EXPECT_EQ(conns[0]["net"]["unix_path"], path);
  EXPECT_EQ(conns[0]["net"]["unix_abstract"], false);
  EXPECT_EQ(conns[1]["net"]["unix_path"], "@" + abstract.substr(1));
  EXPECT_EQ(conns[1]["net"]["unix_abstract"], true);
  EXPECT_EQ(conns[1]["event"]["ret"], 0);
  const auto binds = events_of(lines, child, "bind");
  ASSERT_EQ(binds.size(), 2u);
  EXPECT_EQ(binds[0]["net"]["unix_path"], path);
  EXPECT_EQ(binds[1]["net"]["unix_path"], "@" + abstract.substr(1));
}

}  // namespace
}  // namespace vigil::test
