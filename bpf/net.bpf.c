// SPDX-License-Identifier: GPL-2.0-only
/*
 * Network activity: connect, accept, bind and listen on TCP and UDP over
 * IPv4 and IPv6 and on unix sockets, from the per-syscall exit tracepoints.
 * Addresses come from the kernel's socket after the call (the port bind or
 * connect picked, the peer of an accepted connection), and from the address
 * the caller passed where that is what the call is about: connect's
 * destination, even when the connection failed or is still in progress.
 * Other families (netlink, packet, vsock, ...) are counted as filtered.
 */
#include "vigil.bpf.h"

#define VIGIL_AF_UNIX 1
#define VIGIL_AF_INET 2
#define VIGIL_AF_INET6 10
#define VIGIL_S_IFMT 0170000
#define VIGIL_S_IFSOCK 0140000
#define VIGIL_UNIX_PATH_MAX 108

struct vigil_net_op {
	__s64 ret;
	__s64 fd;
	__u64 addr; /* user pointer to the sockaddr the call took */
	__u32 addrlen;
	__u32 arg;
	__u16 kind;
	__u16 syscall;
	__u8 sock_is_ret; /* the socket is the descriptor returned (accept) */
	__u8 remote_from_user; /* the remote address is the one passed (connect) */
	__u8 local_from_user; /* the local address is the one passed, if the call failed (bind) */
	__u8 _pad;
};

/* The socket behind a descriptor, or NULL. */
static __always_inline struct socket *vigil_fd_socket(struct task_struct *task, long fd)
{
	struct file *file = vigil_fd_file(task, fd);

	if (!file || (BPF_CORE_READ(file, f_inode, i_mode) & VIGIL_S_IFMT) != VIGIL_S_IFSOCK)
		return NULL;
	return BPF_CORE_READ(file, private_data);
}

/* Copy a unix socket address of @len bytes (family included) from @sun. */
static __always_inline bool vigil_put_unix(struct vigil_net *n, __u32 *off, const void *sun,
					   __u32 len, bool user)
{
	__u32 o = *off;
	char first = 0;
	long err;

	n->unix_path.off = o;
	n->unix_path.len = 0;
	if (len <= 2)
		return true; /* unnamed */
	len -= 2;
	if (len > VIGIL_UNIX_PATH_MAX) {
		len = VIGIL_UNIX_PATH_MAX;
		n->info |= VIGIL_NET_UNIX_TRUNCATED;
	}
	if (o > VIGIL_STR_OFF_MAX)
		return false;
	vigil_barrier_var(len);
	len &= 127;
	if (user)
		err = bpf_probe_read_user((void *)n + o, len, sun + 2);
	else
		err = bpf_probe_read_kernel((void *)n + o, len, sun + 2);
	if (err)
		return false;
	/* A path name ends at its NUL; an abstract name is every byte given. */
	bpf_probe_read_kernel(&first, 1, (void *)n + o);
	if (first != 0) {
		long m = bpf_probe_read_kernel_str((void *)n + o, len + 1, (void *)n + o);

		if (m > 0 && m - 1 < len)
			len = m - 1;
	}
	n->unix_path.len = len;
	*off = o + len;
	return true;
}

/* An IPv4 or IPv6 address and port from a user sockaddr. */
static __always_inline bool vigil_user_inet(__u8 *addr, __u16 *port, const void *sa, __u16 family)
{
	struct sockaddr_in6 sin6 = {};
	struct sockaddr_in sin = {};

	if (family == VIGIL_AF_INET) {
		if (bpf_probe_read_user(&sin, sizeof(sin), sa))
			return false;
		__builtin_memcpy(addr, &sin.sin_addr, 4);
		*port = bpf_ntohs(sin.sin_port);
		return true;
	}
	if (bpf_probe_read_user(&sin6, sizeof(sin6), sa))
		return false;
	__builtin_memcpy(addr, &sin6.sin6_addr, 16);
	*port = bpf_ntohs(sin6.sin6_port);
	return true;
}

/* Builds and emits the record of one socket operation. */
__noinline int vigil_net_emit(struct vigil_net_op *op)
{
	struct task_struct *task = vigil_current();
	struct vigil_record_buf *buf = vigil_record_buf();
	struct socket *sock;
	struct sock *sk = NULL;
	struct vigil_net *n;
	__u32 off = sizeof(*n);
	__u16 family = 0, kind;
	bool ok = true;

	if (!op || !buf)
		return 0;
	kind = op->kind;
	sock = vigil_fd_socket(task, op->sock_is_ret && op->ret >= 0 ? op->ret : op->fd);
	if (sock)
		sk = BPF_CORE_READ(sock, sk);
	if (sk)
		family = BPF_CORE_READ(sk, __sk_common.skc_family);
	else if (op->addr && bpf_probe_read_user(&family, sizeof(family), (void *)op->addr))
		ok = false;
	if (family != VIGIL_AF_INET && family != VIGIL_AF_INET6 && family != VIGIL_AF_UNIX) {
		vigil_count(kind, VIGIL_CNT_FILTERED);
		return 0;
	}

	n = (void *)buf->data;
	__builtin_memset(n, 0, sizeof(*n));
	vigil_fill_task(&n->task, task);
	n->ret = op->ret;
	n->fd = op->fd;
	n->arg = op->arg;
	n->syscall = op->syscall;
	n->family = family;
	if (sk) {
		n->type = BPF_CORE_READ(sk, sk_type);
		n->protocol = BPF_CORE_READ(sk, sk_protocol);
	}

	if (family == VIGIL_AF_UNIX) {
		struct unix_address *ua = NULL;

		if ((op->remote_from_user || (op->local_from_user)) && op->addr)
			ok = vigil_put_unix(n, &off, (void *)op->addr, op->addrlen, true) && ok;
		else if (sk && (ua = BPF_CORE_READ((struct unix_sock *)sk, addr)))
			ok = vigil_put_unix(n, &off, &ua->name, BPF_CORE_READ(ua, len), false) &&
			     ok;
	} else {
		if (sk && family == VIGIL_AF_INET) {
			bpf_core_read(n->saddr, 4, &sk->__sk_common.skc_rcv_saddr);
			bpf_core_read(n->daddr, 4, &sk->__sk_common.skc_daddr);
		} else if (sk) {
			bpf_core_read(n->saddr, 16, &sk->__sk_common.skc_v6_rcv_saddr);
			bpf_core_read(n->daddr, 16, &sk->__sk_common.skc_v6_daddr);
		}
		if (sk) {
			n->sport = BPF_CORE_READ(sk, __sk_common.skc_num);
			n->dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
		}
		if (op->remote_from_user && op->addr)
			ok = vigil_user_inet(n->daddr, &n->dport, (void *)op->addr, family) && ok;
		if (op->local_from_user && op->addr && (op->ret < 0 || !sk))
			ok = vigil_user_inet(n->saddr, &n->sport, (void *)op->addr, family) && ok;
	}

	if (!ok) {
		n->info |= VIGIL_NET_FAULT;
		vigil_count(kind, VIGIL_CNT_READ_FAIL);
	}
	if (n->info & VIGIL_NET_UNIX_TRUNCATED)
		vigil_count(kind, VIGIL_CNT_TRUNCATED);
	vigil_submit(n, off, kind);
	return 0;
}

static __always_inline int vigil_connect(long ret, struct pt_regs *regs)
{
	struct vigil_net_op op = {};

	op.kind = VIGIL_KIND_CONNECT;
	op.syscall = VIGIL_SYS_CONNECT;
	op.ret = ret;
	op.fd = (int)VIGIL_ARG1(regs);
	op.addr = VIGIL_ARG2(regs);
	op.addrlen = VIGIL_ARG3(regs);
	op.remote_from_user = 1;
	return vigil_net_emit(&op);
}

static __always_inline int vigil_accept(long ret, struct pt_regs *regs, __u16 syscall, __u32 flags)
{
	struct vigil_net_op op = {};

	op.kind = VIGIL_KIND_ACCEPT;
	op.syscall = syscall;
	op.ret = ret;
	op.fd = (int)VIGIL_ARG1(regs);
	op.arg = flags;
	op.sock_is_ret = 1;
	return vigil_net_emit(&op);
}

static __always_inline int vigil_bind(long ret, struct pt_regs *regs)
{
	struct vigil_net_op op = {};

	op.kind = VIGIL_KIND_BIND;
	op.syscall = VIGIL_SYS_BIND;
	op.ret = ret;
	op.fd = (int)VIGIL_ARG1(regs);
	op.addr = VIGIL_ARG2(regs);
	op.addrlen = VIGIL_ARG3(regs);
	op.local_from_user = 1;
	return vigil_net_emit(&op);
}

static __always_inline int vigil_listen(long ret, struct pt_regs *regs)
{
	struct vigil_net_op op = {};

	op.kind = VIGIL_KIND_LISTEN;
	op.syscall = VIGIL_SYS_LISTEN;
	op.ret = ret;
	op.fd = (int)VIGIL_ARG1(regs);
	op.arg = VIGIL_ARG2(regs);
	return vigil_net_emit(&op);
}

/* One program for every socket call, attached to each call's exit tracepoint. */
SEC("tp")
int vigil_net_exit(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *regs;
	long ret = ctx->ret;

	if (vigil_is_self())
		return 0;
	regs = vigil_user_regs(vigil_current());
	switch (ctx->id) {
	case VIGIL_NR_CONNECT:
		return vigil_connect(ret, regs);
	case VIGIL_NR_ACCEPT:
		return vigil_accept(ret, regs, VIGIL_SYS_ACCEPT, 0);
	case VIGIL_NR_ACCEPT4:
		return vigil_accept(ret, regs, VIGIL_SYS_ACCEPT4, VIGIL_ARG4(regs));
	case VIGIL_NR_BIND:
		return vigil_bind(ret, regs);
	case VIGIL_NR_LISTEN:
		return vigil_listen(ret, regs);
	}
	return 0;
}
