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

#define VIGIL_ABI_VERSION 2

/* Largest record any driver emits, header included. */
#define VIGIL_RECORD_MAX 32768
/* Bytes of argv kept per exec; longer vectors are cut and flagged. */
#define VIGIL_ARGS_MAX 16383
/* Bytes kept per path; deeper or longer paths are cut and flagged. */
#define VIGIL_PATH_MAX 4095
/* Path components walked before a path is declared truncated. */
#define VIGIL_PATH_DEPTH 64
/* Bytes kept of short names: mount types, memfd and module names, PR_SET_NAME. */
#define VIGIL_NAME_MAX 255

/*
 * What a record reports. The body of each kind is named beside it; a family
 * of kinds shares one body, the kind telling the operation and the body's
 * `syscall` (enum vigil_sys) the exact call. Values are stable: a new kind
 * takes the next number, and no number is ever reused.
 */
enum vigil_kind {
	VIGIL_KIND_NONE = 0,
	/* process */
	VIGIL_KIND_EXEC = 1, /* struct vigil_exec: a program started */
	VIGIL_KIND_FORK = 2, /* struct vigil_fork: a process or thread was created */
	VIGIL_KIND_EXIT = 3, /* struct vigil_exit */
	VIGIL_KIND_EXEC_FAILED =
		4, /* struct vigil_exec_failed: execve/execveat returned an error */
	/* file: struct vigil_file */
	VIGIL_KIND_OPEN = 5, /* open, openat, openat2, creat; io_uring openat */
	VIGIL_KIND_TRUNCATE = 6, /* truncate, ftruncate */
	VIGIL_KIND_UNLINK = 7, /* unlink, unlinkat without AT_REMOVEDIR */
	VIGIL_KIND_RMDIR = 8, /* rmdir, unlinkat with AT_REMOVEDIR */
	VIGIL_KIND_RENAME = 9, /* rename, renameat, renameat2 */
	VIGIL_KIND_CHMOD = 10, /* chmod, fchmod, fchmodat, fchmodat2 */
	VIGIL_KIND_CHOWN = 11, /* chown, fchown, lchown, fchownat */
	VIGIL_KIND_LINK = 12, /* link, linkat */
	VIGIL_KIND_SYMLINK = 13, /* symlink, symlinkat */
	VIGIL_KIND_MKDIR = 14, /* mkdir, mkdirat */
	VIGIL_KIND_MOUNT = 15, /* mount, move_mount */
	VIGIL_KIND_UMOUNT = 16, /* umount2 */
	VIGIL_KIND_MEMFD_CREATE = 17,
	/* network: struct vigil_net */
	VIGIL_KIND_CONNECT = 18,
	VIGIL_KIND_ACCEPT = 19, /* accept, accept4 */
	VIGIL_KIND_BIND = 20,
	VIGIL_KIND_LISTEN = 21,
	/* privilege and tampering: struct vigil_priv */
	VIGIL_KIND_SETUID = 22, /* setuid, setreuid, setresuid, setfsuid */
	VIGIL_KIND_SETGID = 23, /* setgid, setregid, setresgid, setfsgid */
	VIGIL_KIND_CAPSET = 24,
	VIGIL_KIND_PTRACE = 25,
	VIGIL_KIND_MODULE_LOAD = 26, /* init_module, finit_module */
	VIGIL_KIND_MODULE_DELETE = 27, /* delete_module */
	VIGIL_KIND_BPF = 28, /* bpf() */
	VIGIL_KIND_UNSHARE = 29,
	VIGIL_KIND_SETNS = 30,
	VIGIL_KIND_KILL = 31, /* kill, tkill, tgkill of another process */
	VIGIL_KIND_PRCTL = 32, /* prctl(PR_SET_NAME) */
	VIGIL_KIND_MAX,
};

/*
 * The system call behind a record, the same number on every architecture.
 * Stable like enum vigil_kind.
 */
enum vigil_sys {
	VIGIL_SYS_NONE = 0, /* not a system call: a kernel thread, an io_uring worker */
	VIGIL_SYS_EXECVE = 1,
	VIGIL_SYS_EXECVEAT = 2,
	VIGIL_SYS_FORK = 3,
	VIGIL_SYS_VFORK = 4,
	VIGIL_SYS_CLONE = 5,
	VIGIL_SYS_CLONE3 = 6,
	VIGIL_SYS_OPEN = 7,
	VIGIL_SYS_OPENAT = 8,
	VIGIL_SYS_OPENAT2 = 9,
	VIGIL_SYS_CREAT = 10,
	VIGIL_SYS_TRUNCATE = 11,
	VIGIL_SYS_FTRUNCATE = 12,
	VIGIL_SYS_UNLINK = 13,
	VIGIL_SYS_UNLINKAT = 14,
	VIGIL_SYS_RMDIR = 15,
	VIGIL_SYS_RENAME = 16,
	VIGIL_SYS_RENAMEAT = 17,
	VIGIL_SYS_RENAMEAT2 = 18,
	VIGIL_SYS_CHMOD = 19,
	VIGIL_SYS_FCHMOD = 20,
	VIGIL_SYS_FCHMODAT = 21,
	VIGIL_SYS_FCHMODAT2 = 22,
	VIGIL_SYS_CHOWN = 23,
	VIGIL_SYS_FCHOWN = 24,
	VIGIL_SYS_LCHOWN = 25,
	VIGIL_SYS_FCHOWNAT = 26,
	VIGIL_SYS_LINK = 27,
	VIGIL_SYS_LINKAT = 28,
	VIGIL_SYS_SYMLINK = 29,
	VIGIL_SYS_SYMLINKAT = 30,
	VIGIL_SYS_MKDIR = 31,
	VIGIL_SYS_MKDIRAT = 32,
	VIGIL_SYS_MOUNT = 33,
	VIGIL_SYS_MOVE_MOUNT = 34,
	VIGIL_SYS_UMOUNT2 = 35,
	VIGIL_SYS_MEMFD_CREATE = 36,
	VIGIL_SYS_CONNECT = 37,
	VIGIL_SYS_ACCEPT = 38,
	VIGIL_SYS_ACCEPT4 = 39,
	VIGIL_SYS_BIND = 40,
	VIGIL_SYS_LISTEN = 41,
	VIGIL_SYS_SETUID = 42,
	VIGIL_SYS_SETREUID = 43,
	VIGIL_SYS_SETRESUID = 44,
	VIGIL_SYS_SETFSUID = 45,
	VIGIL_SYS_SETGID = 46,
	VIGIL_SYS_SETREGID = 47,
	VIGIL_SYS_SETRESGID = 48,
	VIGIL_SYS_SETFSGID = 49,
	VIGIL_SYS_CAPSET = 50,
	VIGIL_SYS_PTRACE = 51,
	VIGIL_SYS_INIT_MODULE = 52,
	VIGIL_SYS_FINIT_MODULE = 53,
	VIGIL_SYS_DELETE_MODULE = 54,
	VIGIL_SYS_BPF = 55,
	VIGIL_SYS_UNSHARE = 56,
	VIGIL_SYS_SETNS = 57,
	VIGIL_SYS_KILL = 58,
	VIGIL_SYS_TKILL = 59,
	VIGIL_SYS_TGKILL = 60,
	VIGIL_SYS_PRCTL = 61,
	VIGIL_SYS_MAX,
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
	__u16 syscall; /* VIGIL_SYS_EXECVE or _EXECVEAT; NONE for an exec by the kernel */
	__u16 _pad;
	__u32 at_flags; /* execveat's flags (AT_EMPTY_PATH, AT_SYMLINK_NOFOLLOW) */
	__s32 dirfd; /* execveat's directory descriptor; AT_FDCWD (-100) otherwise */
	__u32 _pad2;
	struct vigil_str filename; /* as the caller passed it to exec */
	struct vigil_str exe; /* the executable's path, resolved from the kernel's file */
	struct vigil_str args; /* argv as the kernel holds it: each argument NUL-terminated */
	struct vigil_str cwd;
};

/* vigil_exec_failed.flags */
#define VIGIL_EXEC_FAILED_TRUNCATED (1u << 0) /* filename or path cut */

/* An execve or execveat that returned an error: nothing was executed. */
struct vigil_exec_failed {
	struct vigil_hdr hdr;
	struct vigil_task task;
	__s64 ret; /* -errno */
	__u16 syscall; /* VIGIL_SYS_EXECVE or _EXECVEAT */
	__u16 _pad;
	__u32 at_flags; /* execveat's flags */
	__s32 dirfd; /* execveat's directory descriptor; AT_FDCWD for execve */
	__u32 flags; /* VIGIL_EXEC_FAILED_* */
	struct vigil_str filename; /* as the caller passed it */
	struct vigil_str
		path; /* filename made absolute from dirfd or cwd (see VIGIL_FILE_LEXICAL) */
};

/* vigil_fork.flags */
#define VIGIL_FORK_THREAD (1u << 0) /* a thread of the creator's process */

struct vigil_fork {
	struct vigil_hdr hdr;
	struct vigil_task task; /* the child */
	__u32 creator_pid; /* thread-group id of the task that called clone */
	__u32 creator_tid;
	__u32 flags; /* VIGIL_FORK_* */
	__u16 syscall; /* VIGIL_SYS_FORK, _VFORK, _CLONE, _CLONE3; NONE from the kernel */
	__u16 _pad;
	__u64 clone_flags; /* CLONE_* as the caller passed them (fork: SIGCHLD) */
};

/* vigil_exit.flags */
#define VIGIL_EXIT_THREAD (1u << 0) /* one thread ended; its process lives on */

struct vigil_exit {
	struct vigil_hdr hdr;
	struct vigil_task task;
	__u32 status; /* wait(2) status: exit code << 8, or the killing signal */
	__u32 flags; /* VIGIL_EXIT_* */
};

/* vigil_file.info */
#define VIGIL_FILE_CREATED (1u << 0) /* open created the file */
#define VIGIL_FILE_LEXICAL (1u << 1) /* path is the directory + requested, not looked up */
#define VIGIL_FILE_LEXICAL2 (1u << 2) /* same for path2 */
#define VIGIL_FILE_TRUNCATED (1u << 3) /* a path or name was cut to its limit */
#define VIGIL_FILE_IO_URING (1u << 4) /* submitted through io_uring, not a system call */
#define VIGIL_FILE_FAULT (1u << 5) /* an argument could not be read */

/*
 * A file operation. `path` is absolute, relative to the task's root: for an
 * operation that yields an open file (open, memfd_create, and the calls
 * that act on a descriptor) it is resolved from that file, symlinks and
 * mounts followed; otherwise the kernel holds no object once the call has
 * returned (unlink, rename, ...), and it is the directory the call started
 * from (dirfd or cwd, resolved from the kernel's objects) joined with the
 * path requested, VIGIL_FILE_LEXICAL set. `requested` is the path exactly
 * as the caller passed it.
 *
 * Per kind: path2/requested2 are rename's and link's new name and mount's
 * source (path2 only for MS_BIND and MS_MOVE, whose source is a path; for
 * move_mount, the mount being moved); symlink's path is the link created
 * and requested2 the target it points to, as written; mount's path is the
 * mount point. mode is open's, creat's, mkdir's and chmod's mode; uid/gid are
 * chown's new owner (0xffffffff: unchanged); length is truncate's; fstype
 * is mount's file system type; requested is memfd_create's name and path
 * "/memfd:NAME".
 */
struct vigil_file {
	struct vigil_hdr hdr;
	struct vigil_task task;
	__s64 ret; /* the call's result: a descriptor, 0, or -errno */
	__u64 flags; /* as passed: O_*, AT_*, RENAME_*, MS_*, MNT_*, MFD_*, MOVE_MOUNT_* */
	__u64 ino; /* inode of the file when the call yields or takes one; else 0 */
	__u64 length; /* truncate */
	__u32 dev; /* device of that inode, new_encode_dev() */
	__u32 mode;
	__u32 uid;
	__u32 gid;
	__u32 resolve; /* openat2's RESOLVE_* */
	__s32 fd; /* the descriptor or directory descriptor operand; AT_FDCWD (-100) */
	__s32 fd2; /* the second one: renameat's and linkat's newdirfd, move_mount's to_dfd */
	__u32 info; /* VIGIL_FILE_* */
	__u16 syscall; /* enum vigil_sys */
	__u16 _pad;
	struct vigil_str path;
	struct vigil_str requested;
	struct vigil_str path2;
	struct vigil_str requested2;
	struct vigil_str fstype;
};

/* vigil_net.info */
#define VIGIL_NET_UNIX_TRUNCATED (1u << 0) /* unix_path cut */
#define VIGIL_NET_FAULT (1u << 1) /* the address could not be read */

/*
 * A socket operation. Addresses are in network byte order, IPv4 in the
 * first 4 bytes; ports in host order. Local (saddr/sport) and remote
 * (daddr/dport) come from the kernel's socket after the call where it has
 * them, else from the address the caller passed (connect's destination,
 * bind's address). unix_path is the unix socket address named by the call
 * (connect: the peer; bind, listen, accept: the socket's own), byte-exact:
 * an abstract name starts with its NUL byte.
 */
struct vigil_net {
	struct vigil_hdr hdr;
	struct vigil_task task;
	__s64 ret; /* connect: 0 or -errno (-EINPROGRESS when non-blocking) */
	__u8 saddr[16];
	__u8 daddr[16];
	__u16 sport;
	__u16 dport;
	__u16 family; /* AF_INET, AF_INET6, AF_UNIX, ... */
	__u16 type; /* SOCK_STREAM, SOCK_DGRAM, ... */
	__u16 protocol; /* IPPROTO_TCP, IPPROTO_UDP, ... */
	__u16 syscall; /* enum vigil_sys */
	__s32 fd; /* the socket; accept: the listening socket (ret is the new one) */
	__u32 arg; /* listen's backlog, accept4's flags */
	__u32 info; /* VIGIL_NET_* */
	struct vigil_str unix_path;
	__u32 _pad;
};

/* vigil_priv.info */
#define VIGIL_PRIV_TRUNCATED (1u << 0) /* name or path cut */
#define VIGIL_PRIV_FAULT (1u << 1) /* an argument could not be read */

/*
 * A privilege change or an act on another process or on the kernel. What
 * each field holds per kind:
 * - setuid, setgid: ids[4] the ids asked for (real, effective, saved, fs;
 *   0xffffffff: unchanged), old_ids before the call, new_ids after it.
 * - capset: target_pid, caps[3] asked for (effective, permitted,
 *   inheritable), old_caps the caller's before.
 * - ptrace: request, target_pid.
 * - module_load: flags (finit_module's), fd, path and ino (the module
 *   file), name (the parameters); module_delete: name, flags.
 * - bpf: request (the command); for BPF_PROG_LOAD and BPF_MAP_CREATE,
 *   flags is the program or map type and name its name.
 * - unshare: flags (CLONE_NEW*); setns: fd, flags (nstype), and for a
 *   namespace file name (its type: "mnt", "net", ...) and ino (the
 *   namespace's inode number), else path (a pidfd's file).
 * - kill: target_pid, target_tid (tgkill, tkill), signal.
 * - prctl: request (PR_SET_NAME), name.
 */
struct vigil_priv {
	struct vigil_hdr hdr;
	struct vigil_task task;
	__s64 ret;
	__u64 flags;
	__u64 ino;
	__u64 caps[3];
	__u64 old_caps[3];
	__u32 ids[4];
	__u32 old_ids[4];
	__u32 new_ids[4];
	__u32 request;
	__s32 target_pid;
	__s32 target_tid;
	__u32 signal;
	__s32 fd;
	__u32 info; /* VIGIL_PRIV_* */
	__u16 syscall; /* enum vigil_sys */
	__u16 _pad;
	struct vigil_str name;
	struct vigil_str path;
	__u32 _pad2;
};

/*
 * Per-CPU counters every driver keeps, one row per kind. Userspace sums the
 * rows over CPUs and reports them; nothing is dropped without a count.
 */
enum vigil_counter {
	VIGIL_CNT_EMITTED = 0, /* records handed to the buffer */
	VIGIL_CNT_DROPPED, /* buffer full: record lost */
	VIGIL_CNT_READ_FAIL, /* a read or a stash lookup failed: a field is missing */
	VIGIL_CNT_TRUNCATED, /* a string was cut to its limit */
	VIGIL_CNT_FILTERED, /* seen, but no rule or trace selection can want it */
	VIGIL_CNT_MAX,
};

struct vigil_stats {
	__u64 count[VIGIL_KIND_MAX][VIGIL_CNT_MAX];
};

#endif /* VIGIL_EVENT_H */
