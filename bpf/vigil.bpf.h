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
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "vigil_event.h"

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
 * The path walk collects names leaf first, then writes them root first into
 * buf. buf is twice the longest path so a masked offset plus a masked length
 * always stays inside it, which is what the verifier needs to see.
 */
#define VIGIL_PATH_MASK 4095
struct vigil_path_buf {
	const unsigned char *name[VIGIL_PATH_DEPTH];
	__u32 len[VIGIL_PATH_DEPTH];
	/*
	 * Loop counters live here rather than on the stack: the verifier does
	 * not track map values, so the bpf_loop() callbacks converge after a
	 * few passes instead of being verified once per iteration count.
	 */
	__u32 n; /* names collected, then bytes written */
	__u32 names; /* names to write */
	char buf[2 * (VIGIL_PATH_MASK + 1)];
};

struct vigil_path_map {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct vigil_path_buf);
};
extern struct vigil_path_map vigil_paths SEC(".maps");

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
	bpf_probe_read_kernel(t->comm, sizeof(t->comm), task->comm);
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
	struct dentry *root;
	struct vfsmount *root_mnt;
	bool done; /* reached a root */
	bool truncated;
};

/* One step up the dentry chain; bpf_loop() callback. Returns 1 to stop. */
static long vigil_walk_up(__u32 i, struct vigil_walk *c)
{
	/* Locals, not c->...: CO-RE relocations must only see kernel types. */
	struct dentry *dentry = c->dentry, *parent;
	struct vfsmount *vfsmnt = c->vfsmnt;
	struct mount *mnt = c->mnt, *mnt_parent;
	struct vigil_path_buf *w = c->w;
	__u32 n = w->n;

	if (!dentry || (dentry == c->root && vfsmnt == c->root_mnt)) {
		c->done = true;
		return 1;
	}
	if (dentry == BPF_CORE_READ(vfsmnt, mnt_root)) {
		mnt_parent = BPF_CORE_READ(mnt, mnt_parent);
		if (mnt_parent == mnt) {
			c->done = true;
			return 1;
		}
		c->dentry = BPF_CORE_READ(mnt, mnt_mountpoint);
		c->mnt = mnt_parent;
		c->vfsmnt = (struct vfsmount *)((void *)mnt_parent +
						bpf_core_field_offset(struct mount, mnt));
		return 0;
	}
	if (n >= VIGIL_PATH_DEPTH)
		return 1;
	parent = BPF_CORE_READ(dentry, d_parent);
	w->name[n & (VIGIL_PATH_DEPTH - 1)] = BPF_CORE_READ(dentry, d_name.name);
	w->len[n & (VIGIL_PATH_DEPTH - 1)] = BPF_CORE_READ(dentry, d_name.len);
	w->n = n + 1;
	if (dentry == parent) {
		c->done = true;
		return 1;
	}
	c->dentry = parent;
	return 0;
}

/* Write the i-th name from the root; bpf_loop() callback. */
static long vigil_walk_write(__u32 i, struct vigil_walk *c)
{
	struct vigil_path_buf *w = c->w;
	__u32 pos = w->n, k, len;

	k = (w->names - 1 - i) & (VIGIL_PATH_DEPTH - 1);
	len = w->len[k];
	if (pos + 1 + len > VIGIL_PATH_MAX) {
		c->truncated = true;
		return 1;
	}
	vigil_barrier_var(len);
	w->buf[pos & VIGIL_PATH_MASK] = '/';
	if (bpf_probe_read_kernel(&w->buf[(pos + 1) & VIGIL_PATH_MASK], len & VIGIL_PATH_MASK,
				  w->name[k])) {
		w->n = 0;
		return 1;
	}
	w->n = pos + 1 + len;
	return 0;
}

/*
 * Resolve @dentry/@vfsmnt to an absolute path, as d_path() would from
 * @task's root: names up the dentry chain, crossing mount points, up to the
 * task's root or the top of the mount tree. A pseudo file (pipe, memfd)
 * whose dentry is its own parent gives "/<name>". The path lands in w->buf;
 * returns its length, or 0 on failure. Sets *truncated when the path is
 * deeper than VIGIL_PATH_DEPTH or longer than VIGIL_PATH_MAX.
 */
static __always_inline __u32 vigil_resolve_path(struct vigil_path_buf *w, struct dentry *dentry,
						struct vfsmount *vfsmnt, struct task_struct *task,
						bool *truncated)
{
	struct fs_struct *fs = task->fs;
	struct vigil_walk c = {
		.w = w,
		.dentry = dentry,
		.vfsmnt = vfsmnt,
		.mnt = vigil_real_mount(vfsmnt),
		.root = BPF_CORE_READ(fs, root.dentry),
		.root_mnt = BPF_CORE_READ(fs, root.mnt),
	};
	__u32 names;

	w->n = 0;
	/* Mount crossings take steps too, hence twice the depth. */
	bpf_loop(2 * VIGIL_PATH_DEPTH, vigil_walk_up, &c, 0);
	if (!c.done)
		*truncated = true;
	names = w->n;
	if (names == 0) {
		w->buf[0] = '/';
		return 1;
	}

	w->names = names;
	w->n = 0;
	c.truncated = false;
	bpf_loop(names, vigil_walk_write, &c, 0);
	if (c.truncated)
		*truncated = true;
	return w->n;
}

static __always_inline struct vigil_path_buf *vigil_path_buf(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&vigil_paths, &zero);
}

/*
 * Append the path of @dentry/@vfsmnt to the record @rec at *off and describe
 * it in @s. Returns false when the path could not be read.
 */
static __always_inline bool vigil_put_path(void *rec, __u32 *off, struct vigil_str *s,
					   struct dentry *dentry, struct vfsmount *vfsmnt,
					   struct task_struct *task, bool *truncated)
{
	struct vigil_path_buf *w = vigil_path_buf();
	__u32 o = *off, len;

	s->off = o;
	s->len = 0;
	if (!w)
		return false;
	len = vigil_resolve_path(w, dentry, vfsmnt, task, truncated);
	if (len == 0 || len > VIGIL_PATH_MAX)
		return false;
	if (o > VIGIL_RECORD_MAX - VIGIL_PATH_MAX - 1)
		return false;
	vigil_barrier_var(len);
	if (bpf_probe_read_kernel(rec + o, len & VIGIL_PATH_MASK, w->buf))
		return false;
	s->len = len;
	*off = o + len;
	return true;
}

#endif /* VIGIL_BPF_H */
