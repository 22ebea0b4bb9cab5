// Live: file events through the real eBPF programs and `vigil trace`: the
// resolved and requested paths of opens in the awkward cases, every other
// file operation, and opens issued through io_uring. Needs root.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <liburing.h>
#include <linux/openat2.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <regex>

#include "vigil_process.h"

namespace vigil::test {
namespace {

using nlohmann::json;

class FileLive : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(geteuid(), 0u) << "live tests load BPF programs: run as root"; }
};

// The events of `kind` of process `pid` whose file.requested is `requested`.
std::vector<json> file_events(const std::vector<json>& lines, pid_t pid, const std::string& kind,
                              const std::string& requested) {
  std::vector<json> out;
  for (const auto& j : events_of(lines, pid, kind)) {
    if (bytes(j["file"]["requested"]) == requested) out.push_back(j);
  }
  return out;
}

json one(const std::vector<json>& v, const std::string& what) {
  EXPECT_EQ(v.size(), 1u) << what;
  return v.empty() ? json::object() : v[0];
}

TEST_F(FileLive, opens_report_resolved_and_requested_paths) {
  Trace trace("open");
  ASSERT_TRUE(trace.ready()) << trace.err();
  const fs::path dir = trace.dir();
  fs::create_directories(dir / "a" / "b");
  fs::create_directories(dir / "cwd");
  std::ofstream(dir / "a" / "b" / "target") << "x";
  fs::create_symlink(dir / "a" / "b", dir / "link");

  const pid_t child = run_in_child([&] {
    // Relative to a directory descriptor that is not the working directory.
    const int dfd = open((dir / "a").c_str(), O_RDONLY | O_DIRECTORY);
    if (openat(dfd, "b/target", O_RDONLY) < 0) return 1;
    // openat2, through a symlink and "..".
    open_how how{};
    how.flags = O_RDONLY;
    if (syscall(SYS_openat2, AT_FDCWD, (dir / "link" / ".." / "b" / "target").c_str(), &how,
                sizeof(how)) < 0) {
      return 2;
    }
    // A relative path after chdir, creating the file.
    if (chdir((dir / "cwd").c_str()) != 0) return 3;
    if (open("new file", O_WRONLY | O_CREAT | O_EXCL, 0640) < 0) return 4;
    // A failed open: the path is the directory joined with the request.
    if (open("../missing/x", O_RDONLY) >= 0) return 5;
    return 0;
  });
  const auto lines = trace.stop();

  const json rel = one(file_events(lines, child, "open", "b/target"), "openat on a dirfd");
  EXPECT_EQ(rel["file"]["path"], (dir / "a" / "b" / "target").string());
  EXPECT_EQ(rel["file"]["path_lexical"], false);
  EXPECT_EQ(rel["event"]["syscall"], "openat");
  EXPECT_GE(rel["file"]["fd"], 0);
  EXPECT_GE(rel["event"]["ret"], 0);
  EXPECT_EQ(rel["file"]["created"], false);
  struct stat st {};
  ASSERT_EQ(stat((dir / "a" / "b" / "target").c_str(), &st), 0);
  EXPECT_EQ(rel["file"]["ino"], st.st_ino);

  const std::string via_link = (dir / "link" / ".." / "b" / "target").string();
  const json o2 = one(file_events(lines, child, "open", via_link), "openat2");
  EXPECT_EQ(o2["event"]["syscall"], "openat2");
  EXPECT_EQ(o2["file"]["path"], (dir / "a" / "b" / "target").string())
      << "the kernel followed the link, then .. from its target";

  const json made = one(file_events(lines, child, "open", "new file"), "open after chdir");
  EXPECT_EQ(made["file"]["path"], (dir / "cwd" / "new file").string());
  EXPECT_EQ(made["file"]["created"], true);
  EXPECT_EQ(made["file"]["flags"], O_WRONLY | O_CREAT | O_EXCL);
  EXPECT_EQ(made["file"]["mode"], 0640);

  const json failed = one(file_events(lines, child, "open", "../missing/x"), "failed open");
  EXPECT_EQ(failed["event"]["error"], "ENOENT");
  EXPECT_EQ(failed["file"]["path"], (dir / "missing" / "x").string());
  EXPECT_EQ(failed["file"]["path_lexical"], true);
}

TEST_F(FileLive, names_that_are_not_utf8_come_back_byte_for_byte) {
  Trace trace("open,unlink");
  ASSERT_TRUE(trace.ready()) << trace.err();
  const std::string name = "odd \xff\xfe name\nwith \"quotes\" and \\";
  const fs::path path = trace.dir() / name;
  const pid_t child = run_in_child([&] {
    const int fd = open(path.c_str(), O_WRONLY | O_CREAT, 0600);
    close(fd);
    return unlink(path.c_str());
  });
  const auto lines = trace.stop();

  const json o = one(file_events(lines, child, "open", path.string()), "open");
  EXPECT_EQ(bytes(o["file"]["path"]), path.string());
  const json u = one(file_events(lines, child, "unlink", path.string()), "unlink");
  EXPECT_EQ(bytes(u["file"]["path"]), path.string());
  EXPECT_EQ(u["event"]["ret"], 0);
}

TEST_F(FileLive, every_file_operation_is_reported_with_its_operands) {
  Trace trace("truncate,unlink,rmdir,rename,chmod,chown,link,symlink,mkdir,memfd_create");
  ASSERT_TRUE(trace.ready()) << trace.err();
  const fs::path dir = trace.dir();
  std::ofstream(dir / "f") << "0123456789";

  const pid_t child = run_in_child([&] {
    if (chdir(dir.c_str()) != 0) return 1;
    int rc = 0;
    rc |= mkdir("d", 0750);
    rc |= truncate("f", 3);
    const int fd = open("f", O_RDWR);
    rc |= ftruncate(fd, 2);
    rc |= chmod("f", 0604);
    rc |= fchmod(fd, 0600);
    rc |= chown("f", 1234, 5678);
    rc |= fchownat(AT_FDCWD, "f", 4321, -1, 0);
    rc |= link("f", "d/hard");
    rc |= symlink("../f", "d/soft");
    rc |= rename("d/hard", "g");
    rc |= unlink("g");
    rc |= unlinkat(AT_FDCWD, "d/soft", 0);
    rc |= rmdir("d");
    rc |= memfd_create("vigil-memfd", MFD_CLOEXEC) < 0;
    return rc == 0 ? 0 : 1;
  });
  const auto lines = trace.stop();
  const std::string d = dir.string();

  json j = one(file_events(lines, child, "mkdir", "d"), "mkdir");
  EXPECT_EQ(j["file"]["path"], d + "/d");
  EXPECT_EQ(j["file"]["mode"], 0750);
  EXPECT_EQ(j["event"]["ret"], 0);

  j = one(file_events(lines, child, "truncate", "f"), "truncate");
  EXPECT_EQ(j["file"]["path"], d + "/f");
  EXPECT_EQ(j["file"]["length"], 3);
  bool ftruncate_seen = false;
  for (const auto& e : events_of(lines, child, "truncate")) {
    if (e["event"]["syscall"] != "ftruncate") continue;
    ftruncate_seen = true;
    EXPECT_EQ(e["file"]["path"], d + "/f") << "resolved from the descriptor";
    EXPECT_EQ(e["file"]["length"], 2);
    EXPECT_EQ(e["file"]["path_lexical"], false);
  }
  EXPECT_TRUE(ftruncate_seen);

  const auto chmods = events_of(lines, child, "chmod");
  ASSERT_EQ(chmods.size(), 2u);
  EXPECT_EQ(chmods[0]["file"]["path"], d + "/f");
  EXPECT_EQ(chmods[0]["file"]["mode"], 0604);
  EXPECT_EQ(chmods[1]["event"]["syscall"], "fchmod");
  EXPECT_EQ(chmods[1]["file"]["path"], d + "/f");
  EXPECT_EQ(chmods[1]["file"]["mode"], 0600);

  const auto chowns = events_of(lines, child, "chown");
  ASSERT_EQ(chowns.size(), 2u);
  EXPECT_EQ(chowns[0]["file"]["uid"], 1234);
  EXPECT_EQ(chowns[0]["file"]["gid"], 5678);
  EXPECT_EQ(chowns[1]["event"]["syscall"], "fchownat");
  EXPECT_EQ(chowns[1]["file"]["uid"], 4321);
  EXPECT_EQ(chowns[1]["file"]["gid"], 4294967295u);

  j = one(file_events(lines, child, "link", "f"), "link");
  EXPECT_EQ(j["file"]["path"], d + "/f");
  EXPECT_EQ(j["file"]["path2"], d + "/d/hard");

  j = one(file_events(lines, child, "symlink", "d/soft"), "symlink");
  EXPECT_EQ(j["file"]["path"], d + "/d/soft");
  EXPECT_EQ(j["file"]["requested2"], "../f");

  j = one(file_events(lines, child, "rename", "d/hard"), "rename");
  EXPECT_EQ(j["file"]["path"], d + "/d/hard");
  EXPECT_EQ(j["file"]["path2"], d + "/g");

  j = one(file_events(lines, child, "unlink", "g"), "unlink");
  EXPECT_EQ(j["file"]["path"], d + "/g");
  j = one(file_events(lines, child, "unlink", "d/soft"), "unlinkat");
  EXPECT_EQ(j["event"]["syscall"], "unlinkat");
  j = one(file_events(lines, child, "rmdir", "d"), "rmdir");
  EXPECT_EQ(j["file"]["path"], d + "/d");

  j = one(file_events(lines, child, "memfd_create", "vigil-memfd"), "memfd_create");
  EXPECT_EQ(j["file"]["path"], "/memfd:vigil-memfd");
  EXPECT_EQ(j["file"]["flags"], MFD_CLOEXEC);
  EXPECT_GE(j["event"]["ret"], 0);
}

TEST_F(FileLive, mount_and_umount_report_source_target_type_and_flags) {
  Trace trace("mount,umount");
  ASSERT_TRUE(trace.ready()) << trace.err();
  const fs::path target = trace.dir() / "mnt";
  fs::create_directories(target);
  const pid_t child = run_in_child([&] {
    if (mount("vigil-src", target.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, "size=1m") != 0) {
      return 1;
    }
    return umount2(target.c_str(), MNT_DETACH);
  });
  const auto lines = trace.stop();

  json m = one(file_events(lines, child, "mount", target.string()), "mount");
  EXPECT_EQ(m["event"]["ret"], 0);
  EXPECT_EQ(m["file"]["path"], target.string());
  EXPECT_EQ(m["file"]["requested2"], "vigil-src");
  EXPECT_EQ(m["file"]["fstype"], "tmpfs");
  EXPECT_EQ(m["file"]["flags"], MS_NOSUID | MS_NODEV);
  json u = one(file_events(lines, child, "umount", target.string()), "umount");
  EXPECT_EQ(u["file"]["flags"], MNT_DETACH);
  EXPECT_EQ(u["event"]["ret"], 0);
}

// An openat through io_uring never passes the openat system call: it is seen
// from io_uring's own tracepoints, marked as such, with the same paths.
TEST_F(FileLive, io_uring_openat_is_seen_and_marked) {
  Trace trace("open");
  ASSERT_TRUE(trace.ready()) << trace.err();
  const fs::path dir = trace.dir();
  std::ofstream(dir / "ring-target") << "x";

  int fd_seen = -1;
  const pid_t child = run_in_child([&] {
    io_uring ring;
    if (io_uring_queue_init(4, &ring, 0) != 0) return 1;
    const int dfd = open(dir.c_str(), O_RDONLY | O_DIRECTORY);
    io_uring_sqe* sqe = io_uring_get_sqe(&ring);
    io_uring_prep_openat(sqe, dfd, "ring-target", O_RDONLY, 0);
    io_uring_submit(&ring);
    io_uring_cqe* cqe = nullptr;
    if (io_uring_wait_cqe(&ring, &cqe) != 0 || cqe->res < 0) return 2;
    fd_seen = cqe->res;
    io_uring_cqe_seen(&ring, cqe);
    io_uring_queue_exit(&ring);
    return 0;
  });
  (void)fd_seen;
  const auto lines = trace.stop();

  const json o = one(file_events(lines, child, "open", "ring-target"), "io_uring open");
  EXPECT_EQ(o["file"]["io_uring"], true);
  EXPECT_EQ(o["event"]["syscall"], "openat");
  EXPECT_EQ(o["file"]["path"], (dir / "ring-target").string());
  EXPECT_GE(o["event"]["ret"], 0);
}

// Rules that only look at opens under some directories make the kernel drop
// every other open before it is copied out.
TEST_F(FileLive, run_filters_opens_in_the_kernel_by_the_rules_path_prefixes) {
  TempDir dir("prefix");
  const fs::path watched = dir.path() / "watched";
  fs::create_directories(watched);
  const fs::path rules = dir.path() / "rules.yaml";
  std::ofstream(rules) << "- rule: watched_open\n"
                          "  description: an open under the watched directory\n"
                          "  severity: low\n"
                          "  tags: [mitre.collection, mitre.T1005]\n"
                          "  kinds: [open]\n"
                          "  condition:\n"
                          "    file.path: {startswith: \""
                       << watched.string() << "/\"}\n";
  const fs::path out = dir.path() / "alerts.json";
  VigilProcess vigil({"run", "--rules", rules.string(), "--output", out.string()});
  ASSERT_TRUE(vigil.wait_ready()) << vigil.err();

  std::ofstream(watched / "hit") << "x";
  std::ofstream(dir.path() / "miss") << "x";
  usleep(300 * 1000);
  ASSERT_EQ(vigil.stop(), 0) << vigil.err();

  const auto alerts = read_json_lines(out);
  ASSERT_EQ(alerts.size(), 1u) << read_text(out);
  EXPECT_EQ(alerts[0]["file"]["path"], (watched / "hit").string());
  const std::string log = vigil.err();
  EXPECT_NE(log.find("opens filtered in the kernel to 1 path prefixes"), std::string::npos) << log;
  // The miss, and whatever else the host opened meanwhile, was counted in
  // the kernel and never sent.
  std::smatch m;
  ASSERT_TRUE(
      std::regex_search(log, m, std::regex(R"(ebpf open: emitted=(\d+) .* filtered=(\d+))")))
      << log;
  EXPECT_EQ(m[1], "1") << log;
  EXPECT_GE(std::stoul(m[2]), 1u) << log;
}

}  // namespace
}  // namespace vigil::test
