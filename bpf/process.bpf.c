// SPDX-License-Identifier: GPL-2.0-only
/*
 * Process lifecycle: exec, fork/clone and exit, from the scheduler's
 * BTF-typed tracepoints. These fire once per event whatever syscall caused
 * it (execve, execveat, fork, vfork, clone, clone3), after the kernel has
 * done the work, so what they report is what happened, not what was asked.
 * Which call it was and its flags come from the caller's saved registers;
 * execveat's flags, which the exec wipes from them, are kept from its entry.
 * A failed exec has no scheduler event: the execve/execveat exit reports it.
 */
#include "vigil.bpf.h"

#define PF_KTHREAD 0x00200000
#define PF_IO_WORKER 0x00000010
#define VIGIL_SIGCHLD 17
#define VIGIL_CLONE_VM 0x00000100
#define VIGIL_CLONE_VFORK 0x00004000

/* Since 6.6 the inode times are private (__i_mtime), since 6.11 split. */
struct inode___v66 {
	struct timespec64 __i_mtime;
} __attribute__((preserve_access_index));

struct inode___v611 {
	time64_t i_mtime_sec;
	__u32 i_mtime_nsec;
} __attribute__((preserve_access_index));

static __always_inline __u64 vigil_inode_mtime_ns(struct inode *inode)
{
	struct inode___v611 *v611 = (void *)inode;
	struct inode___v66 *v66 = (void *)inode;

	if (bpf_core_field_exists(v611->i_mtime_sec))
		return BPF_CORE_READ(v611, i_mtime_sec) * 1000000000ull +
		       BPF_CORE_READ(v611, i_mtime_nsec);
	if (bpf_core_field_exists(v66->__i_mtime))
		return BPF_CORE_READ(v66, __i_mtime.tv_sec) * 1000000000ull +
		       BPF_CORE_READ(v66, __i_mtime.tv_nsec);
	return BPF_CORE_READ(inode, i_mtime.tv_sec) * 1000000000ull +
	       BPF_CORE_READ(inode, i_mtime.tv_nsec);
}

static __always_inline bool vigil_dentry_unlinked(struct dentry *d)
{
	return !BPF_CORE_READ(d, d_hash.pprev) && BPF_CORE_READ(d, d_parent) != d;
}

/* A memfd is a pseudo dentry (its own parent) on the internal shmem mount. */
static __always_inline bool vigil_is_memfd(struct dentry *d, struct inode *inode)
{
	unsigned long magic = BPF_CORE_READ(inode, i_sb, s_magic);

	return BPF_CORE_READ(d, d_parent) == d &&
	       (magic == TMPFS_MAGIC || magic == HUGETLBFS_MAGIC);
}

static __always_inline void vigil_put_args(struct vigil_exec *e, __u32 *off, struct mm_struct *mm)
{
	unsigned long start = mm->arg_start, end = mm->arg_end;
	__u32 len = 0;

	if (end > start) {
		len = end - start > VIGIL_ARGS_MAX ? VIGIL_ARGS_MAX : end - start;
		if (end - start > VIGIL_ARGS_MAX)
			e->flags |= VIGIL_EXEC_ARGS_TRUNCATED;
	}
	if (bpf_probe_read_user((void *)e + *off, len & VIGIL_ARGS_MAX, (void *)start)) {
		e->flags |= VIGIL_EXEC_ARGS_FAULT;
		vigil_count(VIGIL_KIND_EXEC, VIGIL_CNT_READ_FAIL);
		len = 0;
	}
	e->args.off = *off;
	e->args.len = len;
	*off += len & VIGIL_ARGS_MAX;
}

/* Which call started the exec, and execveat's arguments kept at its entry. */
static __always_inline void vigil_exec_syscall(struct vigil_exec *e, struct task_struct *p,
					       __u32 old_pid)
{
	struct pt_regs *regs = vigil_user_regs(p);
	struct vigil_stash *st = bpf_map_lookup_elem(&vigil_stash, &old_pid);
	long nr = VIGIL_SYSCALL_NR(regs);

	e->syscall = VIGIL_SYS_NONE;
	e->_pad = 0;
	e->_pad2 = 0;
	e->at_flags = 0;
	e->dirfd = AT_FDCWD;
	if (st && st->v[3] == VIGIL_SYS_EXECVEAT) {
		e->syscall = VIGIL_SYS_EXECVEAT;
		e->dirfd = st->v[0];
		e->at_flags = st->v[1];
		bpf_map_delete_elem(&vigil_stash, &old_pid);
	} else if (nr == VIGIL_NR_EXECVEAT) {
		e->syscall = VIGIL_SYS_EXECVEAT;
		vigil_count(VIGIL_KIND_EXEC, VIGIL_CNT_READ_FAIL);
	} else if (nr == VIGIL_NR_EXECVE) {
		e->syscall = VIGIL_SYS_EXECVE;
	}
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(vigil_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct vigil_record_buf *buf;
	struct vigil_exec *e;
	struct file *file = bprm->file;
	struct inode *inode = file->f_inode;
	struct dentry *exe_dentry = file->f_path.dentry;
	bool exe_trunc = false, cwd_trunc = false;
	__u32 off = sizeof(*e), size;
	__u64 flags;
	long n;

	if (p->tgid == vigil_self_tgid)
		return 0;
	buf = vigil_record_buf();
	if (!buf)
		return 0;
	e = (void *)buf->data;

	vigil_fill_task(&e->task, p);
	e->argc = bprm->argc;
	e->old_pid = old_pid;
	e->flags = 0;
	vigil_exec_syscall(e, p, old_pid);
	e->exe_ino = inode->i_ino;
	e->exe_size = inode->i_size;
	e->exe_mtime_ns = vigil_inode_mtime_ns(inode);
	e->exe_dev = vigil_kdev_encode(inode->i_sb->s_dev);
	if (vigil_dentry_unlinked(exe_dentry))
		e->flags |= VIGIL_EXEC_EXE_DELETED;
	if (vigil_is_memfd(exe_dentry, inode))
		e->flags |= VIGIL_EXEC_EXE_MEMFD;

	vigil_put_args(e, &off, p->mm);

	e->filename.off = off;
	n = bpf_probe_read_kernel_str((void *)e + off, VIGIL_PATH_MAX + 1, bprm->filename);
	if (n <= 0) {
		vigil_count(VIGIL_KIND_EXEC, VIGIL_CNT_READ_FAIL);
		n = 1;
	}
	if (n > VIGIL_PATH_MAX) {
		e->flags |= VIGIL_EXEC_FILENAME_TRUNCATED;
		n = VIGIL_PATH_MAX + 1;
	}
	e->filename.len = n - 1;
	off += (n - 1) & VIGIL_PATH_MASK;

	if (!vigil_put_path(e, &off, &e->exe, exe_dentry, file->f_path.mnt, p, &exe_trunc))
		vigil_count(VIGIL_KIND_EXEC, VIGIL_CNT_READ_FAIL);
	if (!vigil_put_path(e, &off, &e->cwd, p->fs->pwd.dentry, p->fs->pwd.mnt, p, &cwd_trunc))
		vigil_count(VIGIL_KIND_EXEC, VIGIL_CNT_READ_FAIL);
	if (exe_trunc)
		e->flags |= VIGIL_EXEC_EXE_TRUNCATED;
	if (cwd_trunc)
		e->flags |= VIGIL_EXEC_CWD_TRUNCATED;
	if (e->flags & (VIGIL_EXEC_ARGS_TRUNCATED | VIGIL_EXEC_EXE_TRUNCATED |
			VIGIL_EXEC_CWD_TRUNCATED | VIGIL_EXEC_FILENAME_TRUNCATED))
		vigil_count(VIGIL_KIND_EXEC, VIGIL_CNT_TRUNCATED);

	flags = vigil_ring_flags();
	/* off stays below VIGIL_RECORD_MAX by construction; the mask shows it. */
	size = (off + 7) & ~7u;
	vigil_barrier_var(size);
	size &= VIGIL_RECORD_MAX - 1;
	vigil_fill_hdr(&e->hdr, VIGIL_KIND_EXEC, size);
	if (bpf_ringbuf_output(&vigil_events, e, size, flags))
		vigil_count(VIGIL_KIND_EXEC, VIGIL_CNT_DROPPED);
	else
		vigil_count(VIGIL_KIND_EXEC, VIGIL_CNT_EMITTED);
	return 0;
}

/*
 * The call that created @child and its flags, from @parent's registers: it
 * is still inside that call. A kernel thread, or an io_uring worker that a
 * task's io_uring call spawns, has none.
 */
static __always_inline void vigil_fork_syscall(struct vigil_fork *f, struct task_struct *parent,
					       struct task_struct *child)
{
	struct pt_regs *regs = vigil_user_regs(parent);
	__u64 flags = 0;
	long nr;

	f->syscall = VIGIL_SYS_NONE;
	f->clone_flags = 0;
	if ((parent->flags & PF_KTHREAD) || (child->flags & PF_IO_WORKER))
		return;
	nr = VIGIL_SYSCALL_NR(regs);
	switch (nr) {
	case VIGIL_NR_CLONE:
		f->syscall = VIGIL_SYS_CLONE;
		f->clone_flags = VIGIL_ARG1(regs);
		break;
	case VIGIL_NR_CLONE3:
		f->syscall = VIGIL_SYS_CLONE3;
		/* struct clone_args starts with its u64 flags. */
		if (bpf_probe_read_user(&flags, sizeof(flags), (void *)VIGIL_ARG1(regs)))
			vigil_count(VIGIL_KIND_FORK, VIGIL_CNT_READ_FAIL);
		f->clone_flags = flags;
		break;
	case VIGIL_NR_FORK:
		f->syscall = VIGIL_SYS_FORK;
		f->clone_flags = VIGIL_SIGCHLD;
		break;
	case VIGIL_NR_VFORK:
		f->syscall = VIGIL_SYS_VFORK;
		f->clone_flags = VIGIL_CLONE_VM | VIGIL_CLONE_VFORK | VIGIL_SIGCHLD;
		break;
	}
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(vigil_fork, struct task_struct *parent, struct task_struct *child)
{
	bool thread = child->tgid == parent->tgid;
	struct vigil_fork *f;

	if (parent->tgid == vigil_self_tgid || (thread && !vigil_threads))
		return 0;
	f = bpf_ringbuf_reserve(&vigil_events, sizeof(*f), 0);
	if (!f) {
		vigil_count(VIGIL_KIND_FORK, VIGIL_CNT_DROPPED);
		return 0;
	}
	vigil_fill_hdr(&f->hdr, VIGIL_KIND_FORK, sizeof(*f));
	vigil_fill_task(&f->task, child);
	f->creator_pid = parent->tgid;
	f->creator_tid = parent->pid;
	f->flags = thread ? VIGIL_FORK_THREAD : 0;
	f->_pad = 0;
	vigil_fork_syscall(f, parent, child);
	bpf_ringbuf_submit(f, vigil_ring_flags());
	vigil_count(VIGIL_KIND_FORK, VIGIL_CNT_EMITTED);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(vigil_exit, struct task_struct *p)
{
	/* do_exit() has already dropped this thread from signal->live. */
	bool group_dead = p->signal->live.counter == 0;
	struct vigil_exit *x;

	if (p->tgid == vigil_self_tgid || (!group_dead && !vigil_threads))
		return 0;
	x = bpf_ringbuf_reserve(&vigil_events, sizeof(*x), 0);
	if (!x) {
		vigil_count(VIGIL_KIND_EXIT, VIGIL_CNT_DROPPED);
		return 0;
	}
	vigil_fill_hdr(&x->hdr, VIGIL_KIND_EXIT, sizeof(*x));
	vigil_fill_task(&x->task, p);
	x->status = p->exit_code;
	x->flags = group_dead ? 0 : VIGIL_EXIT_THREAD;
	bpf_ringbuf_submit(x, vigil_ring_flags());
	vigil_count(VIGIL_KIND_EXIT, VIGIL_CNT_EMITTED);
	return 0;
}

/* execveat's flags do not survive a successful exec: keep them for it. */
SEC("tp/syscalls/sys_enter_execveat")
int vigil_execveat_enter(struct trace_event_raw_sys_enter *ctx)
{
	__u32 tid = bpf_get_current_pid_tgid();
	struct vigil_stash st = {};

	if (vigil_is_self())
		return 0;
	st.v[0] = (__s32)ctx->args[0];
	st.v[1] = ctx->args[4];
	st.v[3] = VIGIL_SYS_EXECVEAT;
	if (bpf_map_update_elem(&vigil_stash, &tid, &st, BPF_ANY))
		vigil_count(VIGIL_KIND_EXEC, VIGIL_CNT_READ_FAIL);
	return 0;
}

static __always_inline int vigil_exec_failed(long ret, __u16 syscall, long dirfd,
					     const char *filename, __u32 at_flags)
{
	struct task_struct *task = vigil_current();
	struct vigil_record_buf *buf = vigil_record_buf();
	struct vigil_exec_failed *e;
	bool trunc = false, lexical = false;
	__u32 off = sizeof(*e);

	if (!buf)
		return 0;
	e = (void *)buf->data;
	__builtin_memset(e, 0, sizeof(*e));
	vigil_fill_task(&e->task, task);
	e->ret = ret;
	e->syscall = syscall;
	e->dirfd = dirfd;
	e->at_flags = at_flags;
	if (!vigil_put_user_str(e, &off, &e->filename, filename, VIGIL_PATH_MAX, &trunc) ||
	    !vigil_put_at_path(e, &off, &e->path, &e->filename, dirfd, task, &trunc, &lexical))
		vigil_count(VIGIL_KIND_EXEC_FAILED, VIGIL_CNT_READ_FAIL);
	if (trunc) {
		e->flags |= VIGIL_EXEC_FAILED_TRUNCATED;
		vigil_count(VIGIL_KIND_EXEC_FAILED, VIGIL_CNT_TRUNCATED);
	}
	vigil_submit(e, off, VIGIL_KIND_EXEC_FAILED);
	return 0;
}

SEC("tp/syscalls/sys_exit_execve")
int vigil_execve_exit(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *regs;

	if (ctx->ret >= 0 || vigil_is_self())
		return 0;
	regs = vigil_user_regs(vigil_current());
	return vigil_exec_failed(ctx->ret, VIGIL_SYS_EXECVE, AT_FDCWD, (void *)VIGIL_ARG1(regs), 0);
}

SEC("tp/syscalls/sys_exit_execveat")
int vigil_execveat_exit(struct trace_event_raw_sys_exit *ctx)
{
	__u32 tid = bpf_get_current_pid_tgid();
	struct pt_regs *regs;

	if (vigil_is_self())
		return 0;
	/* A successful exec took its entry's stash; a failed one leaves it. */
	if (ctx->ret >= 0)
		return 0;
	bpf_map_delete_elem(&vigil_stash, &tid);
	if (!vigil_wants(VIGIL_KIND_EXEC_FAILED))
		return 0;
	regs = vigil_user_regs(vigil_current());
	return vigil_exec_failed(ctx->ret, VIGIL_SYS_EXECVEAT, (__s32)VIGIL_ARG1(regs),
				 (void *)VIGIL_ARG2(regs), VIGIL_ARG5(regs));
}
