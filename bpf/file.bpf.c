// SPDX-License-Identifier: GPL-2.0-only
/*
 * File activity: every call that opens, creates, removes, renames, links,
 * truncates, changes the mode or owner of a file, mounts or unmounts, and
 * memfd_create, from the per-syscall exit tracepoints. Each program runs once
 * per call, at its exit, and reads the arguments from the caller's saved
 * registers: one program per call, no state kept between entry and exit.
 *
 * A call that yields or takes a descriptor (open, memfd_create, fchmod, ...)
 * has its path resolved from the kernel's file; the others, whose object is
 * gone or changed once they return, get the directory they started from
 * resolved and the requested path joined to it (VIGIL_FILE_LEXICAL).
 * Opens through io_uring are taken from its submission and completion
 * tracepoints.
 */
#include "vigil.bpf.h"

#define VIGIL_FMODE_CREATED 0x100000
#define VIGIL_O_CREAT 0100
#define VIGIL_O_WRONLY 01
#define VIGIL_O_TRUNC 01000
#define VIGIL_AT_REMOVEDIR 0x200
#define VIGIL_MS_BIND 4096
#define VIGIL_MS_MOVE 8192
#define VIGIL_IORING_OP_OPENAT 18
#define VIGIL_IORING_OP_OPENAT2 28

/* How a file operation's path operand is given. */
enum vigil_operand {
	VIGIL_OPERAND_NONE,
	VIGIL_OPERAND_AT, /* a user path, relative to a directory descriptor */
	VIGIL_OPERAND_FD, /* a descriptor */
	VIGIL_OPERAND_STRING, /* a user string that is not a path to resolve */
};

struct vigil_file_op {
	__u64 flags;
	__u64 length;
	__u64 req; /* user pointers */
	__u64 req2;
	__u64 fstype;
	__s64 ret;
	__s64 fd;
	__s64 fd2;
	__u32 mode;
	__u32 uid;
	__u32 gid;
	__u32 resolve;
	__u16 kind;
	__u16 syscall;
	__u8 how; /* enum vigil_operand */
	__u8 how2;
	__u8 ret_fd; /* on success, the path is the returned descriptor's */
	__u8 io_uring;
};

static __always_inline void vigil_file_inode(struct vigil_file *f, struct file *file)
{
	struct inode *inode = BPF_CORE_READ(file, f_inode);

	f->ino = BPF_CORE_READ(inode, i_ino);
	f->dev = vigil_kdev_encode(BPF_CORE_READ(inode, i_sb, s_dev));
}

/* Whether the path of an open falls under one of the rules' prefixes. */
static __always_inline bool vigil_prefix_match(const void *rec, const struct vigil_str *path)
{
	__u32 n = vigil_open_prefix_count, off = path->off;

	if (off > VIGIL_RECORD_MAX - VIGIL_PREFIX_WORDS * 8 - 8)
		return true;
	for (__u32 i = 0; i < VIGIL_PREFIX_MAX; i++) {
		const volatile struct vigil_prefix *p = &vigil_open_prefixes[i];
		bool same = true;

		if (i >= n)
			break;
		if (p->len > path->len)
			continue;
		for (__u32 k = 0; k < VIGIL_PREFIX_WORDS; k++) {
			__u64 word = *(const __u64 *)(rec + off + 8 * k);

			if (k + 1 >= p->words) {
				same = ((word ^ p->word[k]) & p->last_mask) == 0;
				break;
			}
			if (word != p->word[k]) {
				same = false;
				break;
			}
		}
		if (same)
			return true;
	}
	return false;
}

/* Builds and emits the record of one file operation. */
__noinline int vigil_file_emit(struct vigil_file_op *op)
{
	struct task_struct *task = vigil_current();
	struct vigil_record_buf *buf = vigil_record_buf();
	bool trunc = false, lexical = false, lexical2 = false, ok = true;
	struct file *file = NULL;
	struct vigil_file *f;
	__u32 off = sizeof(*f);
	__u16 kind;

	if (!op || !buf)
		return 0;
	kind = op->kind;
	f = (void *)buf->data;
	__builtin_memset(f, 0, sizeof(*f));
	vigil_fill_task(&f->task, task);
	f->ret = op->ret;
	f->flags = op->flags;
	f->length = op->length;
	f->mode = op->mode;
	f->uid = op->uid;
	f->gid = op->gid;
	f->resolve = op->resolve;
	f->fd = op->fd;
	f->fd2 = op->fd2;
	f->syscall = op->syscall;
	if (op->io_uring)
		f->info |= VIGIL_FILE_IO_URING;

	/* The first operand: what the call acted on. */
	if (op->how == VIGIL_OPERAND_AT || op->how == VIGIL_OPERAND_STRING)
		ok = vigil_put_user_str(f, &off, &f->requested, (void *)op->req, VIGIL_PATH_MAX,
					&trunc);
	if (op->ret_fd && op->ret >= 0)
		file = vigil_fd_file(task, op->ret);
	else if (op->how == VIGIL_OPERAND_FD)
		file = vigil_fd_file(task, op->fd);
	if (file) {
		vigil_file_inode(f, file);
		if (BPF_CORE_READ(file, f_mode) & VIGIL_FMODE_CREATED)
			f->info |= VIGIL_FILE_CREATED;
		ok = vigil_put_file_path(f, &off, &f->path, file, task, &trunc) && ok;
	} else if (op->how == VIGIL_OPERAND_AT && ok) {
		ok = vigil_put_at_path(f, &off, &f->path, &f->requested, op->fd, task, &trunc,
				       &lexical);
	} else if (op->how == VIGIL_OPERAND_FD || op->ret_fd) {
		ok = false;
	}

	/* The second: a new name, a link, a mount's source. */
	if (op->how2 == VIGIL_OPERAND_AT || op->how2 == VIGIL_OPERAND_STRING) {
		if (!vigil_put_user_str(f, &off, &f->requested2, (void *)op->req2, VIGIL_PATH_MAX,
					&trunc))
			ok = false;
		else if (op->how2 == VIGIL_OPERAND_AT)
			ok = vigil_put_at_path(f, &off, &f->path2, &f->requested2, op->fd2, task,
					       &trunc, &lexical2) &&
			     ok;
	} else if (op->how2 == VIGIL_OPERAND_FD) {
		file = vigil_fd_file(task, op->fd2);
		ok = file && vigil_put_file_path(f, &off, &f->path2, file, task, &trunc) && ok;
	}
	if (op->fstype &&
	    !vigil_put_user_str(f, &off, &f->fstype, (void *)op->fstype, VIGIL_NAME_MAX, &trunc))
		ok = false;

	if (kind == VIGIL_KIND_OPEN && vigil_open_prefix_count && !trunc &&
	    !vigil_prefix_match(f, &f->path)) {
		vigil_count(kind, VIGIL_CNT_FILTERED);
		return 0;
	}
	if (lexical)
		f->info |= VIGIL_FILE_LEXICAL;
	if (lexical2)
		f->info |= VIGIL_FILE_LEXICAL2;
	if (!ok) {
		f->info |= VIGIL_FILE_FAULT;
		vigil_count(kind, VIGIL_CNT_READ_FAIL);
	}
	if (trunc) {
		f->info |= VIGIL_FILE_TRUNCATED;
		vigil_count(kind, VIGIL_CNT_TRUNCATED);
	}
	vigil_submit(f, off, kind);
	return 0;
}

/*
 * Each call's handler: its arguments from the registers, in a vigil_file_op,
 * to vigil_file_emit(). The dispatcher at the end picks one by call number.
 */
#define VIGIL_FILE_CALL(call) \
	static __always_inline int vigil_##call(long ret, struct pt_regs *regs)

static __always_inline int vigil_open_op(long ret, __u16 syscall, long dfd, __u64 path, __u64 flags,
					 __u32 mode, __u32 resolve)
{
	struct vigil_file_op op = {
		.kind = VIGIL_KIND_OPEN,
		.syscall = syscall,
		.ret = ret,
		.fd = dfd,
		.fd2 = -1,
		.req = path,
		.flags = flags,
		.mode = mode,
		.resolve = resolve,
		.how = VIGIL_OPERAND_AT,
		.ret_fd = 1,
	};

	return vigil_file_emit(&op);
}

VIGIL_FILE_CALL(open)
{
	return vigil_open_op(ret, VIGIL_SYS_OPEN, AT_FDCWD, VIGIL_ARG1(regs), VIGIL_ARG2(regs),
			     VIGIL_ARG3(regs), 0);
}

VIGIL_FILE_CALL(openat)
{
	return vigil_open_op(ret, VIGIL_SYS_OPENAT, (int)VIGIL_ARG1(regs), VIGIL_ARG2(regs),
			     VIGIL_ARG3(regs), VIGIL_ARG4(regs), 0);
}

VIGIL_FILE_CALL(openat2)
{
	struct open_how how = {};

	if (bpf_probe_read_user(&how, sizeof(how), (void *)VIGIL_ARG3(regs)))
		vigil_count(VIGIL_KIND_OPEN, VIGIL_CNT_READ_FAIL);
	return vigil_open_op(ret, VIGIL_SYS_OPENAT2, (int)VIGIL_ARG1(regs), VIGIL_ARG2(regs),
			     how.flags, how.mode, how.resolve);
}

VIGIL_FILE_CALL(creat)
{
	return vigil_open_op(ret, VIGIL_SYS_CREAT, AT_FDCWD, VIGIL_ARG1(regs),
			     VIGIL_O_CREAT | VIGIL_O_WRONLY | VIGIL_O_TRUNC, VIGIL_ARG2(regs), 0);
}

/* An operation on one path, relative to @dfd. */
static __always_inline int vigil_path_op(__u16 kind, __u16 syscall, long ret, long dfd, __u64 path,
					 __u64 flags)
{
	struct vigil_file_op op = {
		.kind = kind,
		.syscall = syscall,
		.ret = ret,
		.fd = dfd,
		.fd2 = -1,
		.req = path,
		.flags = flags,
		.how = VIGIL_OPERAND_AT,
		.uid = -1,
		.gid = -1,
	};

	return vigil_file_emit(&op);
}

VIGIL_FILE_CALL(truncate)
{
	struct vigil_file_op op = {
		.kind = VIGIL_KIND_TRUNCATE,
		.syscall = VIGIL_SYS_TRUNCATE,
		.ret = ret,
		.fd = AT_FDCWD,
		.fd2 = -1,
		.req = VIGIL_ARG1(regs),
		.length = VIGIL_ARG2(regs),
		.how = VIGIL_OPERAND_AT,
	};

	return vigil_file_emit(&op);
}

VIGIL_FILE_CALL(ftruncate)
{
	struct vigil_file_op op = {
		.kind = VIGIL_KIND_TRUNCATE,
		.syscall = VIGIL_SYS_FTRUNCATE,
		.ret = ret,
		.fd = (int)VIGIL_ARG1(regs),
		.fd2 = -1,
		.length = VIGIL_ARG2(regs),
		.how = VIGIL_OPERAND_FD,
	};

	return vigil_file_emit(&op);
}

VIGIL_FILE_CALL(unlink)
{
	return vigil_path_op(VIGIL_KIND_UNLINK, VIGIL_SYS_UNLINK, ret, AT_FDCWD, VIGIL_ARG1(regs),
			     0);
}

VIGIL_FILE_CALL(unlinkat)
{
	__u64 flags = VIGIL_ARG3(regs);
	__u16 kind = flags & VIGIL_AT_REMOVEDIR ? VIGIL_KIND_RMDIR : VIGIL_KIND_UNLINK;

	/* One program serves both kinds: report only the one wanted. */
	if (!vigil_wants(kind))
		return 0;
	return vigil_path_op(kind, VIGIL_SYS_UNLINKAT, ret, (int)VIGIL_ARG1(regs), VIGIL_ARG2(regs),
			     flags);
}

VIGIL_FILE_CALL(rmdir)
{
	return vigil_path_op(VIGIL_KIND_RMDIR, VIGIL_SYS_RMDIR, ret, AT_FDCWD, VIGIL_ARG1(regs), 0);
}

VIGIL_FILE_CALL(mkdir)
{
	struct vigil_file_op op = {
		.kind = VIGIL_KIND_MKDIR,
		.syscall = VIGIL_SYS_MKDIR,
		.ret = ret,
		.fd = AT_FDCWD,
		.fd2 = -1,
		.req = VIGIL_ARG1(regs),
		.mode = VIGIL_ARG2(regs),
		.how = VIGIL_OPERAND_AT,
	};

	return vigil_file_emit(&op);
}

VIGIL_FILE_CALL(mkdirat)
{
	struct vigil_file_op op = {
		.kind = VIGIL_KIND_MKDIR,
		.syscall = VIGIL_SYS_MKDIRAT,
		.ret = ret,
		.fd = (int)VIGIL_ARG1(regs),
		.fd2 = -1,
		.req = VIGIL_ARG2(regs),
		.mode = VIGIL_ARG3(regs),
		.how = VIGIL_OPERAND_AT,
	};

	return vigil_file_emit(&op);
}

/* Two paths: rename's and link's old and new names. */
static __always_inline int vigil_two_paths(__u16 kind, __u16 syscall, long ret, long dfd,
					   __u64 path, long dfd2, __u64 path2, __u64 flags)
{
	struct vigil_file_op op = {
		.kind = kind,
		.syscall = syscall,
		.ret = ret,
		.fd = dfd,
		.fd2 = dfd2,
		.req = path,
		.req2 = path2,
		.flags = flags,
		.how = VIGIL_OPERAND_AT,
		.how2 = VIGIL_OPERAND_AT,
	};

	return vigil_file_emit(&op);
}

VIGIL_FILE_CALL(rename)
{
	return vigil_two_paths(VIGIL_KIND_RENAME, VIGIL_SYS_RENAME, ret, AT_FDCWD, VIGIL_ARG1(regs),
			       AT_FDCWD, VIGIL_ARG2(regs), 0);
}

VIGIL_FILE_CALL(renameat)
{
	return vigil_two_paths(VIGIL_KIND_RENAME, VIGIL_SYS_RENAMEAT, ret, (int)VIGIL_ARG1(regs),
			       VIGIL_ARG2(regs), (int)VIGIL_ARG3(regs), VIGIL_ARG4(regs), 0);
}

VIGIL_FILE_CALL(renameat2)
{
	return vigil_two_paths(VIGIL_KIND_RENAME, VIGIL_SYS_RENAMEAT2, ret, (int)VIGIL_ARG1(regs),
			       VIGIL_ARG2(regs), (int)VIGIL_ARG3(regs), VIGIL_ARG4(regs),
			       VIGIL_ARG5(regs));
}

VIGIL_FILE_CALL(link)
{
	return vigil_two_paths(VIGIL_KIND_LINK, VIGIL_SYS_LINK, ret, AT_FDCWD, VIGIL_ARG1(regs),
			       AT_FDCWD, VIGIL_ARG2(regs), 0);
}

VIGIL_FILE_CALL(linkat)
{
	return vigil_two_paths(VIGIL_KIND_LINK, VIGIL_SYS_LINKAT, ret, (int)VIGIL_ARG1(regs),
			       VIGIL_ARG2(regs), (int)VIGIL_ARG3(regs), VIGIL_ARG4(regs),
			       VIGIL_ARG5(regs));
}

/* symlink(target, linkpath): the link is the file made; the target is text. */
static __always_inline int vigil_symlink_op(__u16 syscall, long ret, __u64 target, long dfd,
					    __u64 link)
{
	struct vigil_file_op op = {
		.kind = VIGIL_KIND_SYMLINK,
		.syscall = syscall,
		.ret = ret,
		.fd = dfd,
		.fd2 = -1,
		.req = link,
		.req2 = target,
		.how = VIGIL_OPERAND_AT,
		.how2 = VIGIL_OPERAND_STRING,
	};

	return vigil_file_emit(&op);
}

VIGIL_FILE_CALL(symlink)
{
	return vigil_symlink_op(VIGIL_SYS_SYMLINK, ret, VIGIL_ARG1(regs), AT_FDCWD,
				VIGIL_ARG2(regs));
}

VIGIL_FILE_CALL(symlinkat)
{
	return vigil_symlink_op(VIGIL_SYS_SYMLINKAT, ret, VIGIL_ARG1(regs), (int)VIGIL_ARG2(regs),
				VIGIL_ARG3(regs));
}

static __always_inline int vigil_chmod_op(__u16 syscall, long ret, long dfd, __u64 path, __u32 mode,
					  __u64 flags, bool by_fd)
{
	struct vigil_file_op op = {
		.kind = VIGIL_KIND_CHMOD,
		.syscall = syscall,
		.ret = ret,
		.fd = dfd,
		.fd2 = -1,
		.req = path,
		.mode = mode,
		.flags = flags,
		.how = by_fd ? VIGIL_OPERAND_FD : VIGIL_OPERAND_AT,
	};

	return vigil_file_emit(&op);
}

VIGIL_FILE_CALL(chmod)
{
	return vigil_chmod_op(VIGIL_SYS_CHMOD, ret, AT_FDCWD, VIGIL_ARG1(regs), VIGIL_ARG2(regs), 0,
			      false);
}

VIGIL_FILE_CALL(fchmod)
{
	return vigil_chmod_op(VIGIL_SYS_FCHMOD, ret, (int)VIGIL_ARG1(regs), 0, VIGIL_ARG2(regs), 0,
			      true);
}

VIGIL_FILE_CALL(fchmodat)
{
	return vigil_chmod_op(VIGIL_SYS_FCHMODAT, ret, (int)VIGIL_ARG1(regs), VIGIL_ARG2(regs),
			      VIGIL_ARG3(regs), 0, false);
}

VIGIL_FILE_CALL(fchmodat2)
{
	return vigil_chmod_op(VIGIL_SYS_FCHMODAT2, ret, (int)VIGIL_ARG1(regs), VIGIL_ARG2(regs),
			      VIGIL_ARG3(regs), VIGIL_ARG4(regs), false);
}

static __always_inline int vigil_chown_op(__u16 syscall, long ret, long dfd, __u64 path, __u32 uid,
					  __u32 gid, __u64 flags, bool by_fd)
{
	struct vigil_file_op op = {
		.kind = VIGIL_KIND_CHOWN,
		.syscall = syscall,
		.ret = ret,
		.fd = dfd,
		.fd2 = -1,
		.req = path,
		.uid = uid,
		.gid = gid,
		.flags = flags,
		.how = by_fd ? VIGIL_OPERAND_FD : VIGIL_OPERAND_AT,
	};

	return vigil_file_emit(&op);
}

VIGIL_FILE_CALL(chown)
{
	return vigil_chown_op(VIGIL_SYS_CHOWN, ret, AT_FDCWD, VIGIL_ARG1(regs), VIGIL_ARG2(regs),
			      VIGIL_ARG3(regs), 0, false);
}

VIGIL_FILE_CALL(lchown)
{
	return vigil_chown_op(VIGIL_SYS_LCHOWN, ret, AT_FDCWD, VIGIL_ARG1(regs), VIGIL_ARG2(regs),
			      VIGIL_ARG3(regs), 0, false);
}

VIGIL_FILE_CALL(fchown)
{
	return vigil_chown_op(VIGIL_SYS_FCHOWN, ret, (int)VIGIL_ARG1(regs), 0, VIGIL_ARG2(regs),
			      VIGIL_ARG3(regs), 0, true);
}

VIGIL_FILE_CALL(fchownat)
{
	return vigil_chown_op(VIGIL_SYS_FCHOWNAT, ret, (int)VIGIL_ARG1(regs), VIGIL_ARG2(regs),
			      VIGIL_ARG3(regs), VIGIL_ARG4(regs), VIGIL_ARG5(regs), false);
}

/* mount(source, target, fstype, flags, data): path is the mount point. */
VIGIL_FILE_CALL(mount)
{
	__u64 flags = VIGIL_ARG4(regs);
	struct vigil_file_op op = {
		.kind = VIGIL_KIND_MOUNT,
		.syscall = VIGIL_SYS_MOUNT,
		.ret = ret,
		.fd = AT_FDCWD,
		.fd2 = AT_FDCWD,
		.req = VIGIL_ARG2(regs),
		.req2 = VIGIL_ARG1(regs),
		.fstype = VIGIL_ARG3(regs),
		.flags = flags,
		.how = VIGIL_OPERAND_AT,
		/* Only a bind or a move has a path for its source. */
		.how2 = flags & (VIGIL_MS_BIND | VIGIL_MS_MOVE) ? VIGIL_OPERAND_AT :
								  VIGIL_OPERAND_STRING,
	};

	return vigil_file_emit(&op);
}

/* move_mount(from_dfd, from_path, to_dfd, to_path, flags): attaches a mount. */
VIGIL_FILE_CALL(move_mount)
{
	struct vigil_file_op op = {
		.kind = VIGIL_KIND_MOUNT,
		.syscall = VIGIL_SYS_MOVE_MOUNT,
		.ret = ret,
		.fd = (int)VIGIL_ARG3(regs),
		.fd2 = (int)VIGIL_ARG1(regs),
		.req = VIGIL_ARG4(regs),
		.req2 = VIGIL_ARG2(regs),
		.flags = VIGIL_ARG5(regs),
		.how = VIGIL_OPERAND_AT,
		.how2 = VIGIL_OPERAND_AT,
	};

	return vigil_file_emit(&op);
}

VIGIL_FILE_CALL(umount)
{
	return vigil_path_op(VIGIL_KIND_UMOUNT, VIGIL_SYS_UMOUNT2, ret, AT_FDCWD, VIGIL_ARG1(regs),
			     VIGIL_ARG2(regs));
}

/* memfd_create(name, flags): the name as given, and the file's "/memfd:NAME". */
VIGIL_FILE_CALL(memfd_create)
{
	struct vigil_file_op op = {
		.kind = VIGIL_KIND_MEMFD_CREATE,
		.syscall = VIGIL_SYS_MEMFD_CREATE,
		.ret = ret,
		.fd = -1,
		.fd2 = -1,
		.req = VIGIL_ARG1(regs),
		.flags = VIGIL_ARG2(regs),
		.how = VIGIL_OPERAND_STRING,
		.ret_fd = 1,
	};

	return vigil_file_emit(&op);
}

/*
 * One program for every file call, attached by the loader to the exit
 * tracepoint of each call of a wanted kind: verified once rather than once
 * per call.
 */
SEC("tp")
int vigil_file_exit(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *regs;
	long ret = ctx->ret;

	if (vigil_is_self())
		return 0;
	regs = vigil_user_regs(vigil_current());
	switch (ctx->id) {
	case VIGIL_NR_OPEN:
		return vigil_open(ret, regs);
	case VIGIL_NR_OPENAT:
		return vigil_openat(ret, regs);
	case VIGIL_NR_OPENAT2:
		return vigil_openat2(ret, regs);
	case VIGIL_NR_CREAT:
		return vigil_creat(ret, regs);
	case VIGIL_NR_TRUNCATE:
		return vigil_truncate(ret, regs);
	case VIGIL_NR_FTRUNCATE:
		return vigil_ftruncate(ret, regs);
	case VIGIL_NR_UNLINK:
		return vigil_unlink(ret, regs);
	case VIGIL_NR_UNLINKAT:
		return vigil_unlinkat(ret, regs);
	case VIGIL_NR_RMDIR:
		return vigil_rmdir(ret, regs);
	case VIGIL_NR_RENAME:
		return vigil_rename(ret, regs);
	case VIGIL_NR_RENAMEAT:
		return vigil_renameat(ret, regs);
	case VIGIL_NR_RENAMEAT2:
		return vigil_renameat2(ret, regs);
	case VIGIL_NR_CHMOD:
		return vigil_chmod(ret, regs);
	case VIGIL_NR_FCHMOD:
		return vigil_fchmod(ret, regs);
	case VIGIL_NR_FCHMODAT:
		return vigil_fchmodat(ret, regs);
	case VIGIL_NR_FCHMODAT2:
		return vigil_fchmodat2(ret, regs);
	case VIGIL_NR_CHOWN:
		return vigil_chown(ret, regs);
	case VIGIL_NR_FCHOWN:
		return vigil_fchown(ret, regs);
	case VIGIL_NR_LCHOWN:
		return vigil_lchown(ret, regs);
	case VIGIL_NR_FCHOWNAT:
		return vigil_fchownat(ret, regs);
	case VIGIL_NR_LINK:
		return vigil_link(ret, regs);
	case VIGIL_NR_LINKAT:
		return vigil_linkat(ret, regs);
	case VIGIL_NR_SYMLINK:
		return vigil_symlink(ret, regs);
	case VIGIL_NR_SYMLINKAT:
		return vigil_symlinkat(ret, regs);
	case VIGIL_NR_MKDIR:
		return vigil_mkdir(ret, regs);
	case VIGIL_NR_MKDIRAT:
		return vigil_mkdirat(ret, regs);
	case VIGIL_NR_MOUNT:
		return vigil_mount(ret, regs);
	case VIGIL_NR_MOVE_MOUNT:
		return vigil_move_mount(ret, regs);
	case VIGIL_NR_UMOUNT2:
		return vigil_umount(ret, regs);
	case VIGIL_NR_MEMFD_CREATE:
		return vigil_memfd_create(ret, regs);
	}
	return 0;
}

/*
 * io_uring: an openat submitted to a ring never passes the openat syscall.
 * Its submission holds the arguments (prepared in the request's command
 * area, struct io_open); its completion the descriptor. The completion runs
 * in the submitter or one of its io_uring workers, which share its files
 * and memory, so the descriptor and the user path are readable there.
 */
/* Since 6.3 (named io_uring_submit_sqe before); not in the pinned vmlinux.h. */
struct trace_event_raw_io_uring_submit_req {
	struct trace_entry ent;
	void *ctx;
	void *req;
	__u64 user_data;
	__u8 opcode;
} __attribute__((preserve_access_index));

static __always_inline int vigil_uring_submit(__u64 req, __u8 opcode)
{
	struct vigil_uring_open o = {};
	struct io_open *open = (struct io_open *)req;
	struct filename *name;

	if (opcode != VIGIL_IORING_OP_OPENAT && opcode != VIGIL_IORING_OP_OPENAT2)
		return 0;
	if (vigil_is_self())
		return 0;
	name = BPF_CORE_READ(open, filename);
	o.path = (__u64)BPF_CORE_READ(name, uptr);
	o.dfd = BPF_CORE_READ(open, dfd);
	o.flags = BPF_CORE_READ(open, how.flags);
	o.mode = BPF_CORE_READ(open, how.mode);
	o.resolve = BPF_CORE_READ(open, how.resolve);
	o.syscall = opcode == VIGIL_IORING_OP_OPENAT ? VIGIL_SYS_OPENAT : VIGIL_SYS_OPENAT2;
	if (bpf_map_update_elem(&vigil_uring_opens, &req, &o, BPF_ANY))
		vigil_count(VIGIL_KIND_OPEN, VIGIL_CNT_READ_FAIL);
	return 0;
}

SEC("tp/io_uring/io_uring_submit_req")
int vigil_uring_submit_req(struct trace_event_raw_io_uring_submit_req *ctx)
{
	return vigil_uring_submit((__u64)ctx->req, ctx->opcode);
}

/* The same tracepoint before 6.3; the loader attaches the one the kernel has. */
SEC("tp/io_uring/io_uring_submit_sqe")
int vigil_uring_submit_sqe(struct trace_event_raw_io_uring_submit_sqe *ctx)
{
	return vigil_uring_submit((__u64)ctx->req, ctx->opcode);
}

SEC("tp/io_uring/io_uring_complete")
int vigil_uring_complete(struct trace_event_raw_io_uring_complete *ctx)
{
	struct vigil_uring_open *o;
	struct vigil_file_op op = {};
	__u64 req = (__u64)ctx->req;

	o = bpf_map_lookup_elem(&vigil_uring_opens, &req);
	if (!o)
		return 0;
	op.kind = VIGIL_KIND_OPEN;
	op.syscall = o->syscall;
	op.ret = ctx->res;
	op.fd = o->dfd;
	op.fd2 = -1;
	op.req = o->path;
	op.flags = o->flags;
	op.mode = o->mode;
	op.resolve = o->resolve;
	op.how = VIGIL_OPERAND_AT;
	/* A direct open into a fixed-file slot completes with 0, no descriptor. */
	op.ret_fd = 1;
	op.io_uring = 1;
	bpf_map_delete_elem(&vigil_uring_opens, &req);
	return vigil_file_emit(&op);
}
