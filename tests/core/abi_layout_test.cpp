// Pins the event ABI (core/abi/vigil_event.h): the size and offset of every
// field, and that the BPF object was compiled with the very same layout.
// A failure here means the ABI changed: bump VIGIL_ABI_VERSION, update every
// driver and this test together.
#include <bpf/btf.h>
#include <gtest/gtest.h>

#include <cstddef>
#include <string>

#include "vigil_event.h"

namespace {

TEST(AbiLayout, vigil_hdr_is_pinned) {
  EXPECT_EQ(sizeof(struct vigil_hdr), 16u);
  EXPECT_EQ(offsetof(struct vigil_hdr, size), 0u);
  EXPECT_EQ(offsetof(struct vigil_hdr, kind), 4u);
  EXPECT_EQ(offsetof(struct vigil_hdr, cpu), 6u);
  EXPECT_EQ(offsetof(struct vigil_hdr, ts_ns), 8u);
}

TEST(AbiLayout, vigil_task_is_pinned) {
  EXPECT_EQ(sizeof(struct vigil_task), 96u);
  EXPECT_EQ(offsetof(struct vigil_task, start_ns), 0u);
  EXPECT_EQ(offsetof(struct vigil_task, parent_start_ns), 8u);
  EXPECT_EQ(offsetof(struct vigil_task, cgroup_id), 16u);
  EXPECT_EQ(offsetof(struct vigil_task, pid), 24u);
  EXPECT_EQ(offsetof(struct vigil_task, tid), 28u);
  EXPECT_EQ(offsetof(struct vigil_task, ppid), 32u);
  EXPECT_EQ(offsetof(struct vigil_task, ns_pid), 36u);
  EXPECT_EQ(offsetof(struct vigil_task, uid), 40u);
  EXPECT_EQ(offsetof(struct vigil_task, gid), 44u);
  EXPECT_EQ(offsetof(struct vigil_task, euid), 48u);
  EXPECT_EQ(offsetof(struct vigil_task, egid), 52u);
  EXPECT_EQ(offsetof(struct vigil_task, auid), 56u);
  EXPECT_EQ(offsetof(struct vigil_task, sessionid), 60u);
  EXPECT_EQ(offsetof(struct vigil_task, tty), 64u);
  EXPECT_EQ(offsetof(struct vigil_task, pidns), 68u);
  EXPECT_EQ(offsetof(struct vigil_task, mntns), 72u);
  EXPECT_EQ(offsetof(struct vigil_task, netns), 76u);
  EXPECT_EQ(offsetof(struct vigil_task, comm), 80u);
}

TEST(AbiLayout, vigil_str_is_pinned) {
  EXPECT_EQ(sizeof(struct vigil_str), 4u);
  EXPECT_EQ(offsetof(struct vigil_str, off), 0u);
  EXPECT_EQ(offsetof(struct vigil_str, len), 2u);
}

TEST(AbiLayout, vigil_exec_is_pinned) {
  EXPECT_EQ(sizeof(struct vigil_exec), 168u);
  EXPECT_EQ(offsetof(struct vigil_exec, hdr), 0u);
  EXPECT_EQ(offsetof(struct vigil_exec, task), 16u);
  EXPECT_EQ(offsetof(struct vigil_exec, exe_ino), 112u);
  EXPECT_EQ(offsetof(struct vigil_exec, exe_size), 120u);
  EXPECT_EQ(offsetof(struct vigil_exec, exe_mtime_ns), 128u);
  EXPECT_EQ(offsetof(struct vigil_exec, exe_dev), 136u);
  EXPECT_EQ(offsetof(struct vigil_exec, argc), 140u);
  EXPECT_EQ(offsetof(struct vigil_exec, flags), 144u);
  EXPECT_EQ(offsetof(struct vigil_exec, old_pid), 148u);
  EXPECT_EQ(offsetof(struct vigil_exec, filename), 152u);
  EXPECT_EQ(offsetof(struct vigil_exec, exe), 156u);
  EXPECT_EQ(offsetof(struct vigil_exec, args), 160u);
  EXPECT_EQ(offsetof(struct vigil_exec, cwd), 164u);
}

TEST(AbiLayout, vigil_fork_is_pinned) {
  EXPECT_EQ(sizeof(struct vigil_fork), 128u);
  EXPECT_EQ(offsetof(struct vigil_fork, hdr), 0u);
  EXPECT_EQ(offsetof(struct vigil_fork, task), 16u);
  EXPECT_EQ(offsetof(struct vigil_fork, creator_pid), 112u);
  EXPECT_EQ(offsetof(struct vigil_fork, creator_tid), 116u);
  EXPECT_EQ(offsetof(struct vigil_fork, flags), 120u);
  EXPECT_EQ(offsetof(struct vigil_fork, _pad), 124u);
}

TEST(AbiLayout, vigil_exit_is_pinned) {
  EXPECT_EQ(sizeof(struct vigil_exit), 120u);
  EXPECT_EQ(offsetof(struct vigil_exit, hdr), 0u);
  EXPECT_EQ(offsetof(struct vigil_exit, task), 16u);
  EXPECT_EQ(offsetof(struct vigil_exit, status), 112u);
  EXPECT_EQ(offsetof(struct vigil_exit, flags), 116u);
}

TEST(AbiLayout, vigil_stats_is_pinned) {
  EXPECT_EQ(sizeof(struct vigil_stats), 128u);
}

TEST(AbiLayout, constants_are_pinned) {
  EXPECT_EQ(VIGIL_ABI_VERSION, 1);
  EXPECT_EQ(VIGIL_RECORD_MAX, 32768);
  EXPECT_EQ(VIGIL_ARGS_MAX, 16383);
  EXPECT_EQ(VIGIL_PATH_MAX, 4095);
  EXPECT_EQ(VIGIL_KIND_MAX, 4);
  EXPECT_EQ(VIGIL_CNT_MAX, 4);
}

// Every struct must have, in the BTF clang emits for the BPF target (with the
// drivers' flags, see abi_anchor.bpf.c), the size and offsets it has here.
class BpfAbi : public ::testing::Test {
 protected:
  void SetUp() override {
    btf_ = btf__parse(VIGIL_ABI_ANCHOR, nullptr);
    ASSERT_NE(btf_, nullptr) << "cannot read BTF of " << VIGIL_ABI_ANCHOR;
  }
  void TearDown() override { btf__free(btf_); }

  // Size of struct `name` in the BPF object, and the byte offset of `member`.
  void expect_member(const char* name, const char* member, size_t host_size, size_t host_off) {
    const int id = btf__find_by_name_kind(btf_, name, BTF_KIND_STRUCT);
    ASSERT_GT(id, 0) << name << " not in the BPF object's BTF";
    const btf_type* t = btf__type_by_id(btf_, id);
    EXPECT_EQ(t->size, host_size) << name;
    const btf_member* m = btf_members(t);
    for (unsigned i = 0; i < btf_vlen(t); ++i, ++m) {
      if (std::string(btf__name_by_offset(btf_, m->name_off)) == member) {
        EXPECT_EQ(btf_member_bit_offset(t, i) / 8, host_off) << name << "." << member;
        return;
      }
    }
    ADD_FAILURE() << name << "." << member << " not in the BPF object";
  }

  btf* btf_ = nullptr;
};

#define EXPECT_BPF_MEMBER(type, member) \
  expect_member(#type, #member, sizeof(struct type), offsetof(struct type, member))

TEST_F(BpfAbi, bpf_object_uses_the_same_layout) {
  EXPECT_BPF_MEMBER(vigil_hdr, size);
  EXPECT_BPF_MEMBER(vigil_hdr, kind);
  EXPECT_BPF_MEMBER(vigil_hdr, cpu);
  EXPECT_BPF_MEMBER(vigil_hdr, ts_ns);
  EXPECT_BPF_MEMBER(vigil_task, start_ns);
  EXPECT_BPF_MEMBER(vigil_task, parent_start_ns);
  EXPECT_BPF_MEMBER(vigil_task, cgroup_id);
  EXPECT_BPF_MEMBER(vigil_task, pid);
  EXPECT_BPF_MEMBER(vigil_task, tid);
  EXPECT_BPF_MEMBER(vigil_task, ppid);
  EXPECT_BPF_MEMBER(vigil_task, ns_pid);
  EXPECT_BPF_MEMBER(vigil_task, uid);
  EXPECT_BPF_MEMBER(vigil_task, gid);
  EXPECT_BPF_MEMBER(vigil_task, euid);
  EXPECT_BPF_MEMBER(vigil_task, egid);
  EXPECT_BPF_MEMBER(vigil_task, auid);
  EXPECT_BPF_MEMBER(vigil_task, sessionid);
  EXPECT_BPF_MEMBER(vigil_task, tty);
  EXPECT_BPF_MEMBER(vigil_task, pidns);
  EXPECT_BPF_MEMBER(vigil_task, mntns);
  EXPECT_BPF_MEMBER(vigil_task, netns);
  EXPECT_BPF_MEMBER(vigil_task, comm);
  EXPECT_BPF_MEMBER(vigil_str, off);
  EXPECT_BPF_MEMBER(vigil_str, len);
  EXPECT_BPF_MEMBER(vigil_exec, hdr);
  EXPECT_BPF_MEMBER(vigil_exec, task);
  EXPECT_BPF_MEMBER(vigil_exec, exe_ino);
  EXPECT_BPF_MEMBER(vigil_exec, exe_size);
  EXPECT_BPF_MEMBER(vigil_exec, exe_mtime_ns);
  EXPECT_BPF_MEMBER(vigil_exec, exe_dev);
  EXPECT_BPF_MEMBER(vigil_exec, argc);
  EXPECT_BPF_MEMBER(vigil_exec, flags);
  EXPECT_BPF_MEMBER(vigil_exec, old_pid);
  EXPECT_BPF_MEMBER(vigil_exec, filename);
  EXPECT_BPF_MEMBER(vigil_exec, exe);
  EXPECT_BPF_MEMBER(vigil_exec, args);
  EXPECT_BPF_MEMBER(vigil_exec, cwd);
  EXPECT_BPF_MEMBER(vigil_fork, hdr);
  EXPECT_BPF_MEMBER(vigil_fork, task);
  EXPECT_BPF_MEMBER(vigil_fork, creator_pid);
  EXPECT_BPF_MEMBER(vigil_fork, creator_tid);
  EXPECT_BPF_MEMBER(vigil_fork, flags);
  EXPECT_BPF_MEMBER(vigil_fork, _pad);
  EXPECT_BPF_MEMBER(vigil_exit, hdr);
  EXPECT_BPF_MEMBER(vigil_exit, task);
  EXPECT_BPF_MEMBER(vigil_exit, status);
  EXPECT_BPF_MEMBER(vigil_exit, flags);
}

}  // namespace
