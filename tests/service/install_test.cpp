// The install target and the systemd unit: `cmake --install` puts binary,
// unit, configuration and rules in place; the installed binary finds the
// installed rules; the installed unit passes `systemd-analyze verify`
// without a single complaint.
#include <gtest/gtest.h>

#include <cstdio>

#include "daemons.h"

namespace vigil::test {
namespace {

struct Result {
  int status = -1;
  std::string output;  // stdout and stderr
};

Result run(const std::string& command) {
  Result r;
  FILE* p = popen((command + " 2>&1").c_str(), "r");
  if (!p) return r;
  char buf[4096];
  for (size_t n; (n = fread(buf, 1, sizeof(buf), p)) > 0;) r.output.append(buf, n);
  const int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

class Install : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    prefix_ = new ScratchDir("install");
    const Result r =
        run("cmake --install " VIGIL_BINARY_DIR " --prefix " + prefix_->path().string());
    ASSERT_EQ(r.status, 0) << r.output;
  }
  static void TearDownTestSuite() {
    delete prefix_;
    prefix_ = nullptr;
  }
  static fs::path prefix() { return prefix_->path(); }

 private:
  static ScratchDir* prefix_;
};
ScratchDir* Install::prefix_ = nullptr;

TEST_F(Install, puts_binary_unit_config_and_rules_in_place) {
  EXPECT_TRUE(fs::exists(prefix() / "bin/vigil"));
  EXPECT_TRUE(fs::exists(prefix() / "lib/systemd/system/vigil.service"));
  EXPECT_TRUE(fs::exists(prefix() / "etc/vigil/vigil.yaml"));
  EXPECT_TRUE(fs::exists(prefix() / "share/vigil/rules/reverse_shell.yaml"));
}

TEST_F(Install, installed_binary_uses_the_installed_rules_and_config) {
  const Result show = run((prefix() / "bin/vigil").string() + " config show --config " +
                          (prefix() / "etc/vigil/vigil.yaml").string());
  ASSERT_EQ(show.status, 0) << show.output;
  EXPECT_NE(show.output.find("\"" + (prefix() / "share/vigil/rules").string() + "\""),
            std::string::npos)
      << show.output;

  const Result check = run((prefix() / "bin/vigil").string() + " config check --config " +
                           (prefix() / "etc/vigil/vigil.yaml").string());
  EXPECT_EQ(check.status, 0) << check.output;
  EXPECT_NE(check.output.find("is valid: 1 outputs, "), std::string::npos) << check.output;
}

TEST_F(Install, unit_runs_the_installed_binary_and_passes_systemd_analyze_verify) {
  const fs::path unit = prefix() / "lib/systemd/system/vigil.service";
  const std::string text = read_file(unit);
  EXPECT_NE(text.find("ExecStart=" + (prefix() / "bin/vigil").string() + " run --config " +
                      (prefix() / "etc/vigil/vigil.yaml").string() + "\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("Type=notify\n"), std::string::npos);
  EXPECT_NE(text.find("WatchdogSec="), std::string::npos);

  // verify exits 0 even for unknown keys or bad values: any output is a complaint.
  const Result r = run("cd / && systemd-analyze verify " + unit.string());
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(r.output, "") << "systemd-analyze complained";
}

TEST_F(Install, build_tree_binary_still_uses_the_source_rules) {
  const Result show =
      run(VIGIL_BINARY_DIR "/vigil config show --config " VIGIL_SOURCE_DIR "/packaging/vigil.yaml");
  ASSERT_EQ(show.status, 0) << show.output;
  EXPECT_NE(show.output.find("\"" VIGIL_SOURCE_DIR "/rules\""), std::string::npos) << show.output;
}

}  // namespace
}  // namespace vigil::test
