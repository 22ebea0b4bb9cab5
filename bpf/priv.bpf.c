// SPDX-License-Identifier: GPL-2.0-only
/*
 * Privilege changes and acts on other processes or on the kernel: the
 * setuid and setgid families, capset, ptrace, module loading and removal,
 * bpf(), unshare, setns, signals sent to another process and prctl's
 * PR_SET_NAME. From the per-syscall exit tracepoints, with the arguments
 * from the caller's saved registers; setuid, setgid and capset also keep,
 * at their entry, the ids or capabilities the caller had before.
 */
#include "vigil.bpf.h"

#define VIGIL_PR_SET_NAME 15
#define VIGIL_BPF_MAP_CREATE 0
#define VIGIL_BPF_PROG_LOAD 5
#define VIGIL_CAP_V1 0x19980330
#define VIGIL_ID_UNCHANGED 0xffffffffu
#define VIGIL_NSFS_MAGIC 0x6e736673

/* Starts a record of @kind for the current task; NULL when no buffer. */
static __always_inline struct vigil_priv *vigil_priv_begin(struct task_struct *task, __u16 syscall,
							   long ret)
{
	struct vigil_record_buf *buf = vigil_record_buf();
	struct vigil_priv *p;

	if (!buf)
		return NULL;
	p = (void *)buf->data;
	__builtin_memset(p, 0, sizeof(*p));
	vigil_fill_task(&p->task, task);
	p->ret = ret;
	p->syscall = syscall;
	p->fd = -1;
	for (int i = 0; i < 4; i++) {
		p->ids[i] = VIGIL_ID_UNCHANGED;
		p->old_ids[i] = VIGIL_ID_UNCHANGED;
		p->new_ids[i] = VIGIL_ID_UNCHANGED;
	}
	return p;
}

static __always_inline void vigil_priv_end(struct vigil_priv *p, __u32 off, __u16 kind, bool ok)
{
	if (!ok) {
		p->info |= VIGIL_PRIV_FAULT;
		vigil_count(kind, VIGIL_CNT_READ_FAIL);
	}
	if (p->info & VIGIL_PRIV_TRUNCATED)
		vigil_count(kind, VIGIL_CNT_TRUNCATED);
	vigil_submit(p, off, kind);
}

static __always_inline bool vigil_priv_name(struct vigil_priv *p, __u32 *off, __u64 src, bool user)
{
	bool trunc = false, ok;

	if (user) {
		ok = vigil_put_user_str(p, off, &p->name, (void *)src, VIGIL_NAME_MAX, &trunc);
	} else {
		__u32 o = *off;
		long n;

		p->name.off = o;
		n = bpf_probe_read_kernel_str((void *)p + o, VIGIL_NAME_MAX + 1, (void *)src);
		ok = n > 0;
		if (ok) {
			p->name.len = n - 1;
			*off = o + n - 1;
		}
	}
	if (trunc)
		p->info |= VIGIL_PRIV_TRUNCATED;
	return ok;
}

/* ---- setuid and setgid families ---- */

/* The four ids (real, effective, saved, fs) of the current credentials. */
static __always_inline void vigil_cred_ids(struct task_struct *task, bool gid, __u32 ids[4])
{
	const struct cred *cred = task->cred;

	if (gid) {
		ids[0] = cred->gid.val;
		ids[1] = cred->egid.val;
		ids[2] = cred->sgid.val;
		ids[3] = cred->fsgid.val;
	} else {
		ids[0] = cred->uid.val;
		ids[1] = cred->euid.val;
		ids[2] = cred->suid.val;
		ids[3] = cred->fsuid.val;
	}
}

static __always_inline int vigil_setid_enter(__u16 syscall, bool gid)
{
	__u32 tid = bpf_get_current_pid_tgid(), ids[4];
	struct vigil_stash st = {};

	vigil_cred_ids(vigil_current(), gid, ids);
	st.v[0] = ((__u64)ids[0] << 32) | ids[1];
	st.v[1] = ((__u64)ids[2] << 32) | ids[3];
	st.v[3] = syscall;
	if (bpf_map_update_elem(&vigil_stash, &tid, &st, BPF_ANY))
		vigil_count(gid ? VIGIL_KIND_SETGID : VIGIL_KIND_SETUID, VIGIL_CNT_READ_FAIL);
	return 0;
}

/* @nargs ids were passed, into ids[@first...]. */
static __always_inline int vigil_setid_exit(long ret, __u16 syscall, bool gid, int first, int nargs)
{
	struct task_struct *task = vigil_current();
	struct pt_regs *regs = vigil_user_regs(task);
	__u16 kind = gid ? VIGIL_KIND_SETGID : VIGIL_KIND_SETUID;
	__u32 tid = bpf_get_current_pid_tgid();
	struct vigil_stash *st;
	struct vigil_priv *p;
	bool ok = true;

	p = vigil_priv_begin(task, syscall, ret);
	if (!p)
		return 0;
	st = bpf_map_lookup_elem(&vigil_stash, &tid);
	if (st && st->v[3] == syscall) {
		p->old_ids[0] = st->v[0] >> 32;
		p->old_ids[1] = st->v[0];
		p->old_ids[2] = st->v[1] >> 32;
		p->old_ids[3] = st->v[1];
		bpf_map_delete_elem(&vigil_stash, &tid);
	} else {
		ok = false;
	}
	vigil_cred_ids(task, gid, p->new_ids);
	if (nargs > 0)
		p->ids[first & 3] = VIGIL_ARG1(regs);
	if (nargs > 1)
		p->ids[(first + 1) & 3] = VIGIL_ARG2(regs);
	if (nargs > 2)
		p->ids[(first + 2) & 3] = VIGIL_ARG3(regs);
	vigil_priv_end(p, sizeof(*p), kind, ok);
	return 0;
}

/* ---- capset ---- */

/* kernel_cap_t is 64 bits: two u32 words before 6.3, one u64 since. */
static __always_inline __u64 vigil_cap(const kernel_cap_t *cap)
{
	__u64 v = 0;

	bpf_probe_read_kernel(&v, sizeof(v), cap);
	return v;
}

static __always_inline int vigil_capset_enter(void)
{
	__u32 tid = bpf_get_current_pid_tgid();
	struct vigil_stash st = {};
	const struct cred *cred;

	cred = vigil_current()->cred;
	st.v[0] = vigil_cap(&cred->cap_effective);
	st.v[1] = vigil_cap(&cred->cap_permitted);
	st.v[2] = vigil_cap(&cred->cap_inheritable);
	st.v[3] = VIGIL_SYS_CAPSET;
	if (bpf_map_update_elem(&vigil_stash, &tid, &st, BPF_ANY))
		vigil_count(VIGIL_KIND_CAPSET, VIGIL_CNT_READ_FAIL);
	return 0;
}

static __always_inline int vigil_capset(struct task_struct *task, struct pt_regs *regs, long ret)
{
	__u32 tid = bpf_get_current_pid_tgid();
	struct {
		__u32 version;
		__s32 pid;
	} hdr = {};
	struct {
		__u32 effective;
		__u32 permitted;
		__u32 inheritable;
	} data[2] = {};
	struct vigil_stash *st;
	struct vigil_priv *p;
	bool ok = true;

	p = vigil_priv_begin(task, VIGIL_SYS_CAPSET, ret);
	if (!p)
		return 0;
	st = bpf_map_lookup_elem(&vigil_stash, &tid);
	if (st && st->v[3] == VIGIL_SYS_CAPSET) {
		p->old_caps[0] = st->v[0];
		p->old_caps[1] = st->v[1];
		p->old_caps[2] = st->v[2];
		bpf_map_delete_elem(&vigil_stash, &tid);
	} else {
		ok = false;
	}
	if (bpf_probe_read_user(&hdr, sizeof(hdr), (void *)VIGIL_ARG1(regs)) ||
	    bpf_probe_read_user(&data, hdr.version == VIGIL_CAP_V1 ? sizeof(data[0]) : sizeof(data),
				(void *)VIGIL_ARG2(regs)))
		ok = false;
	p->target_pid = hdr.pid;
	p->caps[0] = ((__u64)data[1].effective << 32) | data[0].effective;
	p->caps[1] = ((__u64)data[1].permitted << 32) | data[0].permitted;
	p->caps[2] = ((__u64)data[1].inheritable << 32) | data[0].inheritable;
	vigil_priv_end(p, sizeof(*p), VIGIL_KIND_CAPSET, ok);
	return 0;
}

/* ---- the rest: one exit program each ---- */

#define VIGIL_PRIV_CALL(call)                                                                   \
	static __always_inline int vigil_##call(struct task_struct *task, struct pt_regs *regs, \
						long ret)

VIGIL_PRIV_CALL(ptrace)
{
	struct vigil_priv *p = vigil_priv_begin(task, VIGIL_SYS_PTRACE, ret);

	if (!p)
		return 0;
	p->request = VIGIL_ARG1(regs);
	p->target_pid = VIGIL_ARG2(regs);
	vigil_priv_end(p, sizeof(*p), VIGIL_KIND_PTRACE, true);
	return 0;
}

VIGIL_PRIV_CALL(init_module)
{
	struct vigil_priv *p = vigil_priv_begin(task, VIGIL_SYS_INIT_MODULE, ret);
	__u32 off = sizeof(*p);
	bool ok;

	if (!p)
		return 0;
	ok = vigil_priv_name(p, &off, VIGIL_ARG3(regs), true);
	vigil_priv_end(p, off, VIGIL_KIND_MODULE_LOAD, ok);
	return 0;
}

VIGIL_PRIV_CALL(finit_module)
{
	struct vigil_priv *p = vigil_priv_begin(task, VIGIL_SYS_FINIT_MODULE, ret);
	__u32 off = sizeof(*p);
	bool trunc = false, ok;
	struct file *file;

	if (!p)
		return 0;
	p->fd = VIGIL_ARG1(regs);
	p->flags = VIGIL_ARG3(regs);
	ok = vigil_priv_name(p, &off, VIGIL_ARG2(regs), true);
	file = vigil_fd_file(task, p->fd);
	if (file)
		p->ino = BPF_CORE_READ(file, f_inode, i_ino);
	ok = file && vigil_put_file_path(p, &off, &p->path, file, task, &trunc) && ok;
	if (trunc)
		p->info |= VIGIL_PRIV_TRUNCATED;
	vigil_priv_end(p, off, VIGIL_KIND_MODULE_LOAD, ok);
	return 0;
}

VIGIL_PRIV_CALL(delete_module)
{
	struct vigil_priv *p = vigil_priv_begin(task, VIGIL_SYS_DELETE_MODULE, ret);
	__u32 off = sizeof(*p);
	bool ok;

	if (!p)
		return 0;
	p->flags = VIGIL_ARG2(regs);
	ok = vigil_priv_name(p, &off, VIGIL_ARG1(regs), true);
	vigil_priv_end(p, off, VIGIL_KIND_MODULE_DELETE, ok);
	return 0;
}

/* bpf(cmd, attr, size); for loads and map creations, the type and name. */
VIGIL_PRIV_CALL(bpf)
{
	struct vigil_priv *p = vigil_priv_begin(task, VIGIL_SYS_BPF, ret);
	__u64 attr = VIGIL_ARG2(regs), size = VIGIL_ARG3(regs);
	__u32 off = sizeof(*p), type = 0, name_at = 0, cmd;
	bool ok = true;

	if (!p)
		return 0;
	cmd = VIGIL_ARG1(regs);
	p->request = cmd;
	if (cmd == VIGIL_BPF_PROG_LOAD)
		name_at = bpf_core_field_offset(union bpf_attr, prog_name);
	else if (cmd == VIGIL_BPF_MAP_CREATE)
		name_at = bpf_core_field_offset(union bpf_attr, map_name);
	if (name_at && size >= name_at + 16) {
		ok = !bpf_probe_read_user(&type, sizeof(type), (void *)attr);
		p->flags = type;
		ok = vigil_priv_name(p, &off, attr + name_at, true) && ok;
		/* The name field is 16 bytes, NUL-terminated when shorter. */
		if (p->name.len > 15)
			p->name.len = 15;
	}
	vigil_priv_end(p, off, VIGIL_KIND_BPF, ok);
	return 0;
}

VIGIL_PRIV_CALL(unshare)
{
	struct vigil_priv *p = vigil_priv_begin(task, VIGIL_SYS_UNSHARE, ret);

	if (!p)
		return 0;
	p->flags = VIGIL_ARG1(regs);
	vigil_priv_end(p, sizeof(*p), VIGIL_KIND_UNSHARE, true);
	return 0;
}

VIGIL_PRIV_CALL(setns)
{
	struct vigil_priv *p = vigil_priv_begin(task, VIGIL_SYS_SETNS, ret);
	__u32 off = sizeof(*p);
	bool trunc = false, ok;
	struct inode *inode;
	struct file *file;

	if (!p)
		return 0;
	p->fd = VIGIL_ARG1(regs);
	p->flags = VIGIL_ARG2(regs);
	file = vigil_fd_file(task, p->fd);
	if (!file) {
		vigil_priv_end(p, off, VIGIL_KIND_SETNS, false);
		return 0;
	}
	inode = BPF_CORE_READ(file, f_inode);
	p->ino = BPF_CORE_READ(inode, i_ino);
	if (BPF_CORE_READ(inode, i_sb, s_magic) == VIGIL_NSFS_MAGIC) {
		/* A namespace file has no path worth the name: its type says it. */
		struct ns_common *ns = BPF_CORE_READ(inode, i_private);

		ok = vigil_priv_name(p, &off, (__u64)BPF_CORE_READ(ns, ops, name), false);
	} else {
		ok = vigil_put_file_path(p, &off, &p->path, file, task, &trunc);
	}
	if (trunc)
		p->info |= VIGIL_PRIV_TRUNCATED;
	vigil_priv_end(p, off, VIGIL_KIND_SETNS, ok);
	return 0;
}

/* A signal to another process; a process signalling itself is not reported. */
static __always_inline int vigil_kill(struct task_struct *task, __u16 syscall, long ret, long pid,
				      long tid, long sig)
{
	struct vigil_priv *p;

	if (pid == task->tgid || (pid == 0 && tid == task->pid))
		return 0;
	p = vigil_priv_begin(task, syscall, ret);
	if (!p)
		return 0;
	p->target_pid = pid;
	p->target_tid = tid;
	p->signal = sig;
	vigil_priv_end(p, sizeof(*p), VIGIL_KIND_KILL, true);
	return 0;
}

VIGIL_PRIV_CALL(kill_call)
{
	return vigil_kill(task, VIGIL_SYS_KILL, ret, (int)VIGIL_ARG1(regs), 0, VIGIL_ARG2(regs));
}

/* tkill names a thread only; one of the caller's own is not reported. */
VIGIL_PRIV_CALL(tkill)
{
	long tid = (int)VIGIL_ARG1(regs);

	if (tid == task->tgid)
		return 0;
	return vigil_kill(task, VIGIL_SYS_TKILL, ret, 0, tid, VIGIL_ARG2(regs));
}

VIGIL_PRIV_CALL(tgkill)
{
	return vigil_kill(task, VIGIL_SYS_TGKILL, ret, (int)VIGIL_ARG1(regs), (int)VIGIL_ARG2(regs),
			  VIGIL_ARG3(regs));
}

VIGIL_PRIV_CALL(prctl)
{
	struct vigil_priv *p;
	__u32 off;
	bool ok;

	if (VIGIL_ARG1(regs) != VIGIL_PR_SET_NAME)
		return 0;
	p = vigil_priv_begin(task, VIGIL_SYS_PRCTL, ret);
	if (!p)
		return 0;
	off = sizeof(*p);
	p->request = VIGIL_PR_SET_NAME;
	ok = vigil_priv_name(p, &off, VIGIL_ARG2(regs), true);
	/* The kernel takes at most 15 bytes of the name. */
	if (p->name.len > 15)
		p->name.len = 15;
	vigil_priv_end(p, off, VIGIL_KIND_PRCTL, ok);
	return 0;
}

/* ---- the dispatchers: one program per direction, attached per call ---- */

SEC("tp")
int vigil_priv_enter(struct trace_event_raw_sys_enter *ctx)
{
	if (vigil_is_self())
		return 0;
	switch (ctx->id) {
	case VIGIL_NR_SETUID:
		return vigil_setid_enter(VIGIL_SYS_SETUID, false);
	case VIGIL_NR_SETREUID:
		return vigil_setid_enter(VIGIL_SYS_SETREUID, false);
	case VIGIL_NR_SETRESUID:
		return vigil_setid_enter(VIGIL_SYS_SETRESUID, false);
	case VIGIL_NR_SETFSUID:
		return vigil_setid_enter(VIGIL_SYS_SETFSUID, false);
	case VIGIL_NR_SETGID:
		return vigil_setid_enter(VIGIL_SYS_SETGID, true);
	case VIGIL_NR_SETREGID:
		return vigil_setid_enter(VIGIL_SYS_SETREGID, true);
	case VIGIL_NR_SETRESGID:
		return vigil_setid_enter(VIGIL_SYS_SETRESGID, true);
	case VIGIL_NR_SETFSGID:
		return vigil_setid_enter(VIGIL_SYS_SETFSGID, true);
	case VIGIL_NR_CAPSET:
		return vigil_capset_enter();
	}
	return 0;
}

SEC("tp")
int vigil_priv_exit(struct trace_event_raw_sys_exit *ctx)
{
	struct task_struct *task;
	struct pt_regs *regs;
	long ret = ctx->ret;

	if (vigil_is_self())
		return 0;
	task = vigil_current();
	regs = vigil_user_regs(task);
	switch (ctx->id) {
	case VIGIL_NR_SETUID:
		return vigil_setid_exit(ret, VIGIL_SYS_SETUID, false, 0, 1);
	case VIGIL_NR_SETREUID:
		return vigil_setid_exit(ret, VIGIL_SYS_SETREUID, false, 0, 2);
	case VIGIL_NR_SETRESUID:
		return vigil_setid_exit(ret, VIGIL_SYS_SETRESUID, false, 0, 3);
	case VIGIL_NR_SETFSUID:
		return vigil_setid_exit(ret, VIGIL_SYS_SETFSUID, false, 3, 1);
	case VIGIL_NR_SETGID:
		return vigil_setid_exit(ret, VIGIL_SYS_SETGID, true, 0, 1);
	case VIGIL_NR_SETREGID:
		return vigil_setid_exit(ret, VIGIL_SYS_SETREGID, true, 0, 2);
	case VIGIL_NR_SETRESGID:
		return vigil_setid_exit(ret, VIGIL_SYS_SETRESGID, true, 0, 3);
	case VIGIL_NR_SETFSGID:
		return vigil_setid_exit(ret, VIGIL_SYS_SETFSGID, true, 3, 1);
	case VIGIL_NR_CAPSET:
		return vigil_capset(task, regs, ret);
	case VIGIL_NR_PTRACE:
		return vigil_ptrace(task, regs, ret);
	case VIGIL_NR_INIT_MODULE:
		return vigil_init_module(task, regs, ret);
	case VIGIL_NR_FINIT_MODULE:
		return vigil_finit_module(task, regs, ret);
	case VIGIL_NR_DELETE_MODULE:
		return vigil_delete_module(task, regs, ret);
	case VIGIL_NR_BPF:
		return vigil_bpf(task, regs, ret);
	case VIGIL_NR_UNSHARE:
		return vigil_unshare(task, regs, ret);
	case VIGIL_NR_SETNS:
		return vigil_setns(task, regs, ret);
	case VIGIL_NR_KILL:
		return vigil_kill_call(task, regs, ret);
	case VIGIL_NR_TKILL:
		return vigil_tkill(task, regs, ret);
	case VIGIL_NR_TGKILL:
		return vigil_tgkill(task, regs, ret);
	case VIGIL_NR_PRCTL:
		return vigil_prctl(task, regs, ret);
	}
	return 0;
}
