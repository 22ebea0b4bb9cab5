/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers shared by every Vigil BPF program: the maps, the knobs set by the
 * loader, the per-CPU counters, the task context every record carries and
 * the path walk over the kernel's dentry chain.
 *
 * Every program is a BTF-typed tracepoint or runs with a BTF task pointer, so
 * plain member loads below are CO-RE relocated and fault-safe.
 */
#ifndef VIGIL_BPF_H
#define VIGIL_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "vigil_event.h"
#include "vigil_knobs.h"
#include "vigil_syscalls.h"

/*
 * Hide a value from the optimiser so that a bounds mask that follows is kept:
 * clang drops "len & MASK" when it has proved len small, but the verifier
 * cannot always follow that proof through register spills.
 */
#define vigil_barrier_var(var) asm volatile("" : "+r"(var))

#define TMPFS_MAGIC 0x01021994
#define HUGETLBFS_MAGIC 0x958458f6

/* Knobs, written by the loader before the programs load. */
extern const volatile __u32 vigil_self_tgid; /* the sensor itself: never traced */
extern const volatile bool vigil_threads; /* also report thread creation and exit */
/*
 * Unread bytes in the ring buffer past which a record wakes the reader.
 * Below it, records do not wake it: it drains the ring on its own every few
 * milliseconds. A wake-up per record would cost an inter-processor
 * interrupt per event, the most expensive part of a record on a VM.
 */
extern const volatile __u64 vigil_wakeup_bytes;
/* Kinds wanted (1 << enum vigil_kind), for programs that serve several. */
extern const volatile __u64 vigil_kinds;

/* Path prefixes opens must fall under; none: report every open. */
extern const volatile __u32 vigil_open_prefix_count;
extern const volatile struct vigil_prefix vigil_open_prefixes[VIGIL_PREFIX_MAX];

/*
 * All records go through one ring buffer; the loader sizes it. A single
 * ring keeps the global order of events, which the process table relies on.
 */
struct vigil_ringbuf {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 24);
};
extern struct vigil_ringbuf vigil_events SEC(".maps");

struct vigil_stats_map {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct vigil_stats);
};
extern struct vigil_stats_map vigil_stats SEC(".maps");

/* Records too large for the BPF stack are assembled here, one per CPU. */
struct vigil_record_buf {
	__u8 data[VIGIL_RECORD_MAX];
};

struct vigil_record_map {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct vigil_record_buf);
};
extern struct vigil_record_map vigil_records SEC(".maps");

/*
 * The path walk writes names leaf first, from the end of buf backwards, so
 * the path is whole in one pass: it spans buf[pos, VIGIL_PATH_MASK + 1).
 * buf is twice the longest path so a masked offset plus a masked length
 * always stays inside it, which is what the verifier needs to see.
 */
#define VIGIL_PATH_MASK 4095
struct vigil_path_buf {
	/*
	 * The cursor lives here rather than on the stack: the verifier does
	 * not track map values, so the bpf_loop() callback converges after a
	 * few passes instead of being verified once per iteration count.
	 */
	__u32 pos;
	__u32 _pad;
	char buf[2 * (VIGIL_PATH_MASK + 1)];
};

struct vigil_path_map {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct vigil_path_buf);
};
extern struct vigil_path_map vigil_paths SEC(".maps");

/*
 * Arguments kept from a system call's entry to its exit, per thread, where
 * the exit alone cannot know them: the ids and capabilities a task had
 * before setuid/setgid/capset, and execveat's flags, which the exec tears
 * down with the registers.
 */
struct vigil_stash {
	__u64 v[4];
};

struct vigil_stash_map {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32); /* tid */
	__type(value, struct vigil_stash);
};
extern struct vigil_stash_map vigil_stash SEC(".maps");

/* io_uring opens between submission and completion, by request address. */
struct vigil_uring_open {
	__u64 path; /* user pointer to the path */
	__u64 flags;
	__u64 resolve;
	__u32 mode;
	__s32 dfd;
	__u16 syscall;
	__u16 _pad[3];
};

struct vigil_uring_map {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, struct vigil_uring_open);
};
extern struct vigil_uring_map vigil_uring_opens SEC(".maps");

/* Ring buffer flags for a record: wake the reader only past the threshold. */
static __always_inline __u64 vigil_ring_flags(void)
{
	return bpf_ringbuf_query(&vigil_events, BPF_RB_AVAIL_DATA) > vigil_wakeup_bytes ?
		       BPF_RB_FORCE_WAKEUP :
		       BPF_RB_NO_WAKEUP;
}

static __always_inline void vigil_count(__u32 kind, __u32 what)
{
	__u32 zero = 0;
	struct vigil_stats *s = bpf_map_lookup_elem(&vigil_stats, &zero);

	if (s && kind < VIGIL_KIND_MAX && what < VIGIL_CNT_MAX)
		s->count[kind][what]++;
}

static __always_inline struct vigil_record_buf *vigil_record_buf(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&vigil_records, &zero);
}

static __always_inline void vigil_fill_hdr(struct vigil_hdr *h, __u16 kind, __u32 size)
{
	h->size = size;
	h->kind = kind;
	h->cpu = bpf_get_smp_processor_id();
	h->ts_ns = bpf_ktime_get_boot_ns();
}

/* The kernel's new_encode_dev(): the dev_t layout stat(2) reports. */
static __always_inline __u32 vigil_encode_dev(__u32 major, __u32 minor)
{
	return (minor & 0xff) | (major << 8) | ((minor & ~0xffu) << 12);
}

static __always_inline __u32 vigil_kdev_encode(dev_t dev)
{
	return vigil_encode_dev(dev >> 20, dev & ((1u << 20) - 1));
}

static __always_inline __u32 vigil_tty_of(struct task_struct *task)
{
	struct tty_struct *tty = task->signal->tty;
	struct tty_driver *drv;

	if (!tty)
		return 0;
	drv = tty->driver;
	return vigil_encode_dev(drv->major, drv->minor_start + tty->index);
}

static __always_inline void vigil_fill_task(struct vigil_task *t, struct task_struct *task)
{
	struct task_struct *leader = task->group_leader;
	struct task_struct *parent = task->real_parent;
	const struct cred *cred = task->cred;
	struct pid *pid = leader->thread_pid;
	struct nsproxy *nsp = task->nsproxy;
	unsigned int level = pid->level;
	struct upid upid = {};

	t->start_ns = leader->start_boottime;
	t->parent_start_ns = parent->group_leader->start_boottime;
	t->cgroup_id = task->cgroups->dfl_cgrp->kn->id;
	t->pid = task->tgid;
	t->tid = task->pid;
	t->ppid = parent->tgid;

	/* numbers[] is indexed by the namespace level: read it as memory. */
	bpf_probe_read_kernel(&upid, sizeof(upid), &pid->numbers[level & 31]);
	t->ns_pid = upid.nr;
	t->pidns = upid.ns ? BPF_CORE_READ(upid.ns, ns.inum) : 0;

	t->uid = cred->uid.val;
	t->gid = cred->gid.val;
	t->euid = cred->euid.val;
	t->egid = cred->egid.val;
	if (bpf_core_field_exists(task->loginuid)) {
		t->auid = task->loginuid.val;
		t->sessionid = task->sessionid;
	} else {
		t->auid = (__u32)-1;
		t->sessionid = (__u32)-1;
	}
	t->tty = vigil_tty_of(task);
	t->mntns = nsp ? nsp->mnt_ns->ns.inum : 0;
	t->netns = nsp ? nsp->net_ns->ns.inum : 0;
	/* Two plain loads rather than a helper call. */
	*(__u64 *)&t->comm[0] = *(__u64 *)&task->comm[0];
	*(__u64 *)&t->comm[8] = *(__u64 *)&task->comm[8];
}

static __always_inline struct mount *vigil_real_mount(struct vfsmount *vfsmnt)
{
	return (struct mount *)((void *)vfsmnt - bpf_core_field_offset(struct mount, mnt));
}

struct vigil_walk {
	struct vigil_path_buf *w;
	struct dentry *dentry;
	struct vfsmount *vfsmnt;
	struct mount *mnt;
	struct dentry *mnt_root; /* vfsmnt's root, read once per mount */
	struct dentry *root;
	struct vfsmount *root_mnt;
	bool done; /* reached a root */
	bool failed; /* a name could not be read */
};

/*
 * A dentry's parent and name are side by side (d_parent, then the qstr
 * d_name: hash, len, name), and so are a mount's parent and mount point:
 * one read instead of three (two), when the running kernel's layout is that
 * one. The offsets are CO-RE constants: the verifier keeps one branch.
 */
struct vigil_dentry_head {
	struct dentry *parent;
	__u32 hash;
	__u32 len;
	const unsigned char *name;
};

struct vigil_mount_head {
	struct mount *parent;
	struct dentry *mountpoint;
};

static __always_inline bool vigil_dentry_head_fits(void)
{
	return bpf_core_field_offset(struct dentry, d_name) ==
		       bpf_core_field_offset(struct dentry, d_parent) + 8 &&
	       bpf_core_field_offset(struct qstr, len) == 4 &&
	       bpf_core_field_offset(struct qstr, name) == 8;
}

static __always_inline bool vigil_mount_head_fits(void)
{
	return bpf_core_field_offset(struct mount, mnt_mountpoint) ==
	       bpf_core_field_offset(struct mount, mnt_parent) + 8;
}

/* One step up the dentry chain; bpf_loop() callback. Returns 1 to stop. */
static long vigil_walk_step(__u32 i, struct vigil_walk *c)
{
	/* Locals, not c->...: CO-RE relocations must only see kernel types. */
	struct dentry *dentry = c->dentry;
	struct mount *mnt = c->mnt, *up;
	struct vigil_path_buf *w = c->w;
	struct vigil_dentry_head d = {};
	struct vigil_mount_head m = {};
	__u32 pos = w->pos, len;

	if (!dentry || (dentry == c->root && c->vfsmnt == c->root_mnt)) {
		c->done = true;
		return 1;
	}
	if (dentry == c->mnt_root) {
		if (vigil_mount_head_fits()) {
			if (bpf_core_read(&m, sizeof(m), &mnt->mnt_parent))
				m.parent = mnt;
		} else {
			m.parent = BPF_CORE_READ(mnt, mnt_parent);
			m.mountpoint = BPF_CORE_READ(mnt, mnt_mountpoint);
		}
		up = m.parent;
		if (up == mnt) {
			c->done = true;
			return 1;
		}
		c->dentry = m.mountpoint;
		c->mnt = up;
		c->vfsmnt =
			(struct vfsmount *)((void *)up + bpf_core_field_offset(struct mount, mnt));
		c->mnt_root = BPF_CORE_READ(up, mnt.mnt_root);
		return 0;
	}
	if (vigil_dentry_head_fits()) {
		if (bpf_core_read(&d, sizeof(d), &dentry->d_parent)) {
			c->failed = true;
			return 1;
		}
	} else {
		d.parent = BPF_CORE_READ(dentry, d_parent);
		d.name = BPF_CORE_READ(dentry, d_name.name);
		d.len = BPF_CORE_READ(dentry, d_name.len);
	}
	len = d.len;
	/* Keep pos >= 1: the path never exceeds VIGIL_PATH_MAX. */
	if (len + 1 >= pos)
		return 1;
	pos -= len + 1;
	vigil_barrier_var(len);
	if (bpf_probe_read_kernel(&w->buf[(pos + 1) & VIGIL_PATH_MASK], len & VIGIL_PATH_MASK,
				  d.name)) {
		c->failed = true;
		return 1;
	}
	w->buf[pos & VIGIL_PATH_MASK] = '/';
	w->pos = pos;
	if (dentry == d.parent) {
		c->done = true;
		return 1;
	}
	c->dentry = d.parent;
	return 0;
}

/*
 * Resolve @dentry/@vfsmnt to an absolute path, as d_path() would from
 * @task's root: names up the dentry chain, crossing mount points, up to the
 * task's root or the top of the mount tree. A pseudo file (pipe, memfd)
 * whose dentry is its own parent gives "/<name>". The path lands in
 * w->buf[w->pos, VIGIL_PATH_MASK + 1); returns its length, or 0 on failure.
 * Sets *truncated when the path is deeper than VIGIL_PATH_DEPTH or longer
 * than VIGIL_PATH_MAX: the names nearest the root are then missing.
 */
static __always_inline __u32 vigil_resolve_path(struct vigil_path_buf *w, struct dentry *dentry,
						struct vfsmount *vfsmnt, struct task_struct *task,
						bool *truncated)
{
	struct fs_struct *fs = BPF_CORE_READ(task, fs);
	struct vigil_walk c = {
		.w = w,
		.dentry = dentry,
		.vfsmnt = vfsmnt,
		.mnt = vigil_real_mount(vfsmnt),
		.mnt_root = BPF_CORE_READ(vfsmnt, mnt_root),
		.root = BPF_CORE_READ(fs, root.dentry),
		.root_mnt = BPF_CORE_READ(fs, root.mnt),
	};

	w->pos = VIGIL_PATH_MASK + 1;
	/* Mount crossings take steps too, hence twice the depth. */
	bpf_loop(2 * VIGIL_PATH_DEPTH, vigil_walk_step, &c, 0);
	if (c.failed)
		return 0;
	if (!c.done)
		*truncated = true;
	if (w->pos == VIGIL_PATH_MASK + 1) {
		w->pos = VIGIL_PATH_MASK;
		w->buf[VIGIL_PATH_MASK] = '/';
	}
	return VIGIL_PATH_MASK + 1 - w->pos;
}

static __always_inline struct vigil_path_buf *vigil_path_buf(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&vigil_paths, &zero);
}

/* Highest offset a string of up to VIGIL_PATH_MAX bytes may start at. */
#define VIGIL_STR_OFF_MAX (VIGIL_RECORD_MAX - 2 * (VIGIL_PATH_MAX + 1))

/*
 * Append the path of @dentry/@vfsmnt to the record @rec at *off and describe
 * it in @s. Returns false when the path could not be read.
 */
static __always_inline bool vigil_put_path(void *rec, __u32 *off, struct vigil_str *s,
					   struct dentry *dentry, struct vfsmount *vfsmnt,
					   struct task_struct *task, bool *truncated)
{
	struct vigil_path_buf *w = vigil_path_buf();
	__u32 o = *off, len, pos;

	s->off = o;
	s->len = 0;
	if (!w || !dentry)
		return false;
	len = vigil_resolve_path(w, dentry, vfsmnt, task, truncated);
	if (len == 0 || len > VIGIL_PATH_MAX)
		return false;
	vigil_barrier_var(o);
	o &= VIGIL_RECORD_MAX - 1;
	if (o > VIGIL_STR_OFF_MAX)
		return false;
	pos = w->pos;
	vigil_barrier_var(len);
	if (bpf_probe_read_kernel(rec + o, len & VIGIL_PATH_MASK, &w->buf[pos & VIGIL_PATH_MASK]))
		return false;
	s->len = len;
	*off = o + len;
	return true;
}

/* The path of an open file. */
static __always_inline bool vigil_put_file_path(void *rec, __u32 *off, struct vigil_str *s,
						struct file *file, struct task_struct *task,
						bool *truncated)
{
	return vigil_put_path(rec, off, s, BPF_CORE_READ(file, f_path.dentry),
			      BPF_CORE_READ(file, f_path.mnt), task, truncated);
}

/*
 * Append the NUL-terminated user string at @src, at most @max bytes of it
 * (@max a constant, at most VIGIL_PATH_MAX). A NULL @src is an empty
 * string. Returns false when the string could not be read.
 */
static __always_inline bool vigil_put_user_str(void *rec, __u32 *off, struct vigil_str *s,
					       const void *src, __u32 max, bool *truncated)
{
	__u32 o = *off;
	long n;

	s->off = o;
	s->len = 0;
	if (!src)
		return true;
	vigil_barrier_var(o);
	o &= VIGIL_RECORD_MAX - 1;
	if (o > VIGIL_STR_OFF_MAX)
		return false;
	n = bpf_probe_read_user_str(rec + o, max + 1, src);
	if (n <= 0)
		return false;
	if (n > max) {
		*truncated = true;
		n = max + 1;
	}
	s->len = n - 1;
	*off = o + n - 1;
	return true;
}

/*
 * The file behind descriptor @fd of @task, or NULL. @task is a BTF pointer:
 * the chain down to the descriptor table is plain loads; only the table
 * slot, at a variable index, takes a helper call.
 */
static __always_inline struct file *vigil_fd_file(struct task_struct *task, long fd)
{
	struct files_struct *files = task->files;
	struct fdtable *fdt;
	struct file **fds;
	struct file *file = NULL;

	if (fd < 0 || !files)
		return NULL;
	fdt = files->fdt;
	if (!fdt || fd >= fdt->max_fds)
		return NULL;
	fds = fdt->fd;
	if (bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]))
		return NULL;
	return file;
}

#ifndef AT_FDCWD
#define AT_FDCWD -100
#endif

/*
 * Append the path a *at() call names: the user path @req (already in the
 * record) if absolute, else the directory it starts from (descriptor @dfd,
 * or the working directory for AT_FDCWD), resolved from the kernel's
 * objects, joined with it. Nothing is looked up: symlinks and ".." in @req
 * stay as written (the caller sets VIGIL_FILE_LEXICAL). An empty @req names
 * @dfd's own file (AT_EMPTY_PATH), which is resolved.
 */
static __always_inline bool vigil_put_at_path(void *rec, __u32 *off, struct vigil_str *s,
					      const struct vigil_str *req, long dfd,
					      struct task_struct *task, bool *truncated,
					      bool *lexical)
{
	struct dentry *dentry;
	struct vfsmount *vfsmnt;
	struct file *file = NULL;
	__u32 src = req->off, n = req->len, o, base;
	char first = 0;

	if (src > VIGIL_RECORD_MAX - VIGIL_PATH_MAX - 1)
		return false;
	if (n > 0) {
		bpf_probe_read_kernel(&first, 1, rec + src);
		if (first == '/') {
			*s = *req;
			*lexical = true;
			return true;
		}
	}
	if (dfd == AT_FDCWD) {
		struct fs_struct *fs = BPF_CORE_READ(task, fs);

		dentry = BPF_CORE_READ(fs, pwd.dentry);
		vfsmnt = BPF_CORE_READ(fs, pwd.mnt);
	} else {
		file = vigil_fd_file(task, dfd);
		if (!file)
			return false;
		dentry = BPF_CORE_READ(file, f_path.dentry);
		vfsmnt = BPF_CORE_READ(file, f_path.mnt);
	}
	if (!vigil_put_path(rec, off, s, dentry, vfsmnt, task, truncated))
		return false;
	if (n == 0)
		return true;

	*lexical = true;
	base = s->len;
	o = *off;
	vigil_barrier_var(o);
	o &= VIGIL_RECORD_MAX - 1;
	if (o > VIGIL_RECORD_MAX - VIGIL_PATH_MAX - 2)
		return false;
	if (base != 1) {
		((char *)rec)[o & (VIGIL_RECORD_MAX - 1)] = '/';
		o++;
		base++;
	}
	if (base + n > VIGIL_PATH_MAX) {
		*truncated = true;
		n = base < VIGIL_PATH_MAX ? VIGIL_PATH_MAX - base : 0;
	}
	vigil_barrier_var(n);
	if (bpf_probe_read_kernel(rec + o, n & VIGIL_PATH_MASK, rec + src))
		return false;
	s->len = base + n;
	*off = o + n;
	return true;
}

/* The current task, typed, and the user registers of its system call. */
static __always_inline struct task_struct *vigil_current(void)
{
	return bpf_get_current_task_btf();
}

static __always_inline struct pt_regs *vigil_user_regs(struct task_struct *task)
{
	return (struct pt_regs *)bpf_task_pt_regs(task);
}

/*
 * The arguments of the system call in progress, from the registers it was
 * entered with. The exit side reads them here instead of keeping them from
 * the entry: the calls traced leave these registers as they found them.
 */
#define VIGIL_ARG1(regs) PT_REGS_PARM1_SYSCALL(regs)
#define VIGIL_ARG2(regs) PT_REGS_PARM2_SYSCALL(regs)
#define VIGIL_ARG3(regs) PT_REGS_PARM3_SYSCALL(regs)
#define VIGIL_ARG4(regs) PT_REGS_PARM4_SYSCALL(regs)
#define VIGIL_ARG5(regs) PT_REGS_PARM5_SYSCALL(regs)

/* The number of the system call in progress (see vigil_syscalls.h). */
#if defined(__TARGET_ARCH_x86)
#define VIGIL_SYSCALL_NR(regs) ((long)(regs)->orig_ax)
#else
#error "vigil: system call numbers are only defined for x86-64"
#endif

static __always_inline bool vigil_is_self(void)
{
	return (bpf_get_current_pid_tgid() >> 32) == vigil_self_tgid;
}

static __always_inline bool vigil_wants(__u32 kind)
{
	return vigil_kinds & (1ull << kind);
}

/*
 * Pad the record @rec of @off bytes to 8, fill its header and hand it to
 * the ring buffer, counting the outcome under @kind.
 */
static __always_inline void vigil_submit(void *rec, __u32 off, __u16 kind)
{
	__u64 flags = vigil_ring_flags();
	__u32 size;

	if (off > VIGIL_RECORD_MAX - 8) {
		vigil_count(kind, VIGIL_CNT_DROPPED);
		return;
	}
	*(__u64 *)(rec + off) = 0;
	size = (off + 7) & ~7u;
	vigil_fill_hdr(rec, kind, size);
	vigil_barrier_var(size);
	if (size > VIGIL_RECORD_MAX)
		return;
	if (bpf_ringbuf_output(&vigil_events, rec, size, flags))
		vigil_count(kind, VIGIL_CNT_DROPPED);
	else
		vigil_count(kind, VIGIL_CNT_EMITTED);
}

#endif /* VIGIL_BPF_H */
