/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The event ABI: every record that crosses from a driver (bpf/, kmod/) or a
 * capture file into userspace has this layout. Plain C, fixed-width types,
 * explicit padding, so the eBPF programs, the kernel module and core/ agree
 * byte for byte. tests/core/abi_layout_test.cpp pins every size and offset;
 * a change here is a change of VIGIL_ABI_VERSION.
 *
 * A record is a struct vigil_hdr followed by the body of its kind. Strings
 * are not NUL-terminated: a struct vigil_str gives their offset from the
 * start of the record and their length, and their bytes follow the fixed
 * part of the body. Records are padded to a multiple of 8 bytes.
 */
#ifndef VIGIL_EVENT_H
#define VIGIL_EVENT_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define VIGIL_ABI_VERSION 1

/* Largest record any driver emits, header included. */
#define VIGIL_RECORD_MAX 32768
/* Bytes of argv kept per exec; longer vectors are cut and flagged. */
#define VIGIL_ARGS_MAX 16383
/* Bytes kept per path; deeper or longer paths are cut and flagged. */
#define VIGIL_PATH_MAX 4095
/* Path components walked before a path is declared truncated. */
#define VIGIL_PATH_DEPTH 64

enum vigil_kind {
	VIGIL_KIND_NONE = 0,
	VIGIL_KIND_EXEC = 1,
	VIGIL_KIND_FORK = 2,
	VIGIL_KIND_EXIT = 3,
	VIGIL_KIND_MAX,
};

struct vigil_hdr {
	__u32 size; /* whole record in bytes, header included, multiple of 8 */
	__u16 kind; /* enum vigil_kind */
	__u16 cpu; /* CPU the record was produced on */
	__u64 ts_ns; /* CLOCK_BOOTTIME */
};

/* The task the event is about, as the kernel saw it when it happened. */
struct vigil_task {
	__u64 start_ns; /* thread-group leader's start, CLOCK_BOOTTIME */
	__u64 parent_start_ns; /* real parent's leader start, CLOCK_BOOTTIME */
	__u64 cgroup_id; /* cgroup v2 id of the task */
	__u32 pid; /* thread-group id in the initial pid namespace */
	__u32 tid;
	__u32 ppid; /* real parent's thread-group id */
	__u32 ns_pid; /* thread-group id inside the task's own pid namespace */
	__u32 uid;
	__u32 gid;
	__u32 euid;
	__u32 egid;
	__u32 auid; /* audit login uid; 0xffffffff when unset */
	__u32 sessionid; /* audit session; 0xffffffff when unset */
	__u32 tty; /* controlling terminal as new_encode_dev(); 0 for none */
	__u32 pidns; /* namespace inode numbers */
	__u32 mntns;
	__u32 netns;
	char comm[16];
};

struct vigil_str {
	__u16 off; /* from the start of the record */
	__u16 len; /* bytes, no terminator */
};

/* vigil_exec.flags */
#define VIGIL_EXEC_ARGS_TRUNCATED (1u << 0) /* argv longer than VIGIL_ARGS_MAX */
#define VIGIL_EXEC_EXE_TRUNCATED (1u << 1) /* exe path cut */
#define VIGIL_EXEC_CWD_TRUNCATED (1u << 2) /* cwd path cut */
#define VIGIL_EXEC_FILENAME_TRUNCATED (1u << 3)
#define VIGIL_EXEC_ARGS_FAULT (1u << 4) /* argv could not be read */
#define VIGIL_EXEC_EXE_DELETED (1u << 5) /* executable was unlinked */
#define VIGIL_EXEC_EXE_MEMFD (1u << 6) /* executable lives in a memfd */

struct vigil_exec {
	struct vigil_hdr hdr;
	struct vigil_task task;
	__u64 exe_ino;
	__u64 exe_size;
	__u64 exe_mtime_ns; /* CLOCK_REALTIME */
	__u32 exe_dev; /* new_encode_dev() */
	__u32 argc; /* exact, even when args is cut */
	__u32 flags; /* VIGIL_EXEC_* */
	__u32 old_pid; /* tid that called exec, before a non-leader exec took over */
	struct vigil_str filename; /* as the caller passed it to exec */
	struct vigil_str exe; /* the executable's path, resolved from the kernel's file */
	struct vigil_str args; /* argv as the kernel holds it: each argument NUL-terminated */
	struct vigil_str cwd;
};

/* vigil_fork.flags */
#define VIGIL_FORK_THREAD (1u << 0) /* a thread of the creator's process */

struct vigil_fork {
	struct vigil_hdr hdr;
	struct vigil_task task; /* the child */
	__u32 creator_pid; /* thread-group id of the task that called clone */
	__u32 creator_tid;
	__u32 flags; /* VIGIL_FORK_* */
	__u32 _pad;
};

/* vigil_exit.flags */
#define VIGIL_EXIT_THREAD (1u << 0) /* one thread ended; its process lives on */

struct vigil_exit {
	struct vigil_hdr hdr;
	struct vigil_task task;
	__u32 status; /* wait(2) status: exit code << 8, or the killing signal */
	__u32 flags; /* VIGIL_EXIT_* */
};

/*
 * Per-CPU counters every driver keeps, one row per kind. Userspace sums the
 * rows over CPUs and reports them; nothing is dropped without a count.
 */
enum vigil_counter {
	VIGIL_CNT_EMITTED = 0, /* records handed to the buffer */
	VIGIL_CNT_DROPPED, /* buffer full: record lost */
	VIGIL_CNT_READ_FAIL, /* a kernel or user read failed: a field is missing */
	VIGIL_CNT_TRUNCATED, /* a string was cut to its limit */
	VIGIL_CNT_MAX,
};

struct vigil_stats {
	__u64 count[VIGIL_KIND_MAX][VIGIL_CNT_MAX];
};

#endif /* VIGIL_EVENT_H */
