/* SPDX-License-Identifier: MIT */
/*
 * A DMA engine's view of the platform: route each contiguous segment once,
 * then move its bytes with memcpy and count them on every link they cross.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "platform_internal.h"

int pdma__tlp_errno(enum pdma_tlp_status st)
{
	switch (st) {
	case PDMA_TLP_OK:
		return 0;
	case PDMA_TLP_IOMMU_FAULT:
		return -EFAULT;
	case PDMA_TLP_BEYOND_BAR:
		return -ERANGE;
	case PDMA_TLP_REVOKED:
		return -ENODEV;
	case PDMA_TLP_UNSUPPORTED:
	case PDMA_TLP_P2P_BLOCKED:
	default:
		return -EREMOTEIO;
	}
}

static int fail(struct pdma_platform *plat, int ini, uint64_t addr, bool write,
		const struct pdma_route *r, enum pdma_tlp_status st)
{
	char bdf[16], tgt[48] = "";

	pdma_bdf_format(&plat->fab->funcs[ini].info, bdf, sizeof(bdf));
	if (r->kind == PDMA_TARGET_BAR && r->func >= 0) {
		char t[16];

		snprintf(tgt, sizeof(tgt), " (BAR %d of %s)", r->bar,
			 pdma_bdf_format(&plat->fab->funcs[r->func].info, t,
					 sizeof(t)));
	}
	pdma__platform_fault(plat, ini, addr, st, write,
			     "%s: %s at %#llx on a %s%s%s", bdf,
			     pdma_tlp_status_name(st), (unsigned long long)addr,
			     write ? "write" : "read", tgt,
			     r->redirected ? ", sent up by ACS redirect" : "");
	return pdma__tlp_errno(st);
}

static void *target_mem(struct pdma_platform *plat, const struct pdma_route *r)
{
	if (r->kind == PDMA_TARGET_RAM)
		return (char *)plat->ram + r->offset;
	return (char *)plat->bars[plat->funcs[r->func].bars[r->bar]].mem +
	       r->offset;
}

static const struct pdma_bar_guard *guard_of(struct pdma_platform *plat,
					     const struct pdma_route *r)
{
	const struct pdma_bar_guard *g;

	if (r->kind != PDMA_TARGET_BAR)
		return NULL;
	g = &plat->bars[plat->funcs[r->func].bars[r->bar]].guard;
	return g->begin ? g : NULL;
}

static void add(_Atomic uint64_t *c, uint64_t n)
{
	atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

/* Count @n data bytes that flow toward the target when @to_target. */
static void account(struct pdma_platform *plat, int ini,
		    const struct pdma_route *r, bool to_target, uint64_t n)
{
	const struct pdma_fabric *fab = plat->fab;
	const struct pdma_func *fi = &fab->funcs[ini];
	int up = to_target ? PDMA_LINK_UP : PDMA_LINK_DOWN;
	int down = to_target ? PDMA_LINK_DOWN : PDMA_LINK_UP;
	int stop = r->via_host_bridge ? PDMA_NONE : r->turn;

	for (int k = 0; k <= fi->info.depth && fi->chain[k] != stop; k++)
		add(&plat->funcs[fi->chain[k]].link_bytes[up], n);
	if (r->kind == PDMA_TARGET_RAM) {
		add(&plat->ram_bytes, n);
		return;
	}
	{
		const struct pdma_func *ti = &fab->funcs[r->func];

		for (int k = 0; k <= ti->info.depth && ti->chain[k] != stop; k++)
			add(&plat->funcs[ti->chain[k]].link_bytes[down], n);
	}
	add(r->via_host_bridge ? &plat->hb_p2p_bytes : &plat->switch_p2p_bytes,
	    n);
}

/* A segment being moved: its route, and the guard it holds open. */
struct segment {
	struct pdma_route r;
	const struct pdma_bar_guard *g;
	void *cookie;
};

/* Resolve one segment and open its guard; on failure record the fault. */
static int open_segment(struct pdma_platform *plat, int ini, uint64_t addr,
			uint64_t len, bool write, struct segment *s)
{
	int ret = pdma_platform_resolve(plat, ini, addr, len, write, &s->r);

	s->g = NULL;
	s->cookie = NULL;
	if (ret)
		return ret;
	if (s->r.status != PDMA_TLP_OK)
		return fail(plat, ini, addr, write, &s->r, s->r.status);
	s->g = guard_of(plat, &s->r);
	if (s->g && s->g->begin(s->g->ctx, s->r.offset, s->r.len, &s->cookie)) {
		s->g = NULL;
		return fail(plat, ini, addr, write, &s->r, PDMA_TLP_REVOKED);
	}
	return 0;
}

static void close_segment(const struct segment *s)
{
	if (s->g && s->g->end)
		s->g->end(s->g->ctx, s->cookie);
}

int pdma_fabric_dma(struct pdma_platform *plat, int initiator, uint64_t addr,
		    void *buf, size_t len, enum pdma_dma_dir dir)
{
	bool write = dir == PDMA_DMA_WRITE;
	char *p = buf;

	if (!buf || !len || (dir != PDMA_DMA_WRITE && dir != PDMA_DMA_READ) ||
	    initiator < 0 || initiator >= plat->fab->nr_funcs)
		return -EINVAL;
	while (len) {
		struct segment sg;
		uint64_t n;
		int ret;

		ret = open_segment(plat, initiator, addr, len, write, &sg);
		if (ret)
			return ret;
		n = sg.r.len;
		if (write)
			memcpy(target_mem(plat, &sg.r), p, n);
		else
			memcpy(p, target_mem(plat, &sg.r), n);
		close_segment(&sg);
		account(plat, initiator, &sg.r, write, n);
		atomic_fetch_add_explicit(&plat->transactions, 1,
					  memory_order_relaxed);
		addr += n;
		p += n;
		len -= n;
	}
	return 0;
}

int pdma_fabric_copy(struct pdma_platform *plat, int initiator, uint64_t dst,
		     uint64_t src, size_t len)
{
	if (!len || initiator < 0 || initiator >= plat->fab->nr_funcs)
		return -EINVAL;
	while (len) {
		struct segment ss, sd;
		const char *sp;
		uint64_t n;
		char *d;
		int ret;

		ret = open_segment(plat, initiator, src, len, false, &ss);
		if (ret)
			return ret;
		ret = open_segment(plat, initiator, dst, len, true, &sd);
		if (ret) {
			close_segment(&ss);
			return ret;
		}
		n = ss.r.len < sd.r.len ? ss.r.len : sd.r.len;
		d = target_mem(plat, &sd.r);
		sp = target_mem(plat, &ss.r);
		/* memmove only when the two ranges really overlap. */
		if (d + n <= sp || sp + n <= d)
			memcpy(d, sp, n);
		else
			memmove(d, sp, n);
		close_segment(&sd);
		close_segment(&ss);
		account(plat, initiator, &ss.r, false, n);
		account(plat, initiator, &sd.r, true, n);
		atomic_fetch_add_explicit(&plat->transactions, 2,
					  memory_order_relaxed);
		dst += n;
		src += n;
		len -= n;
	}
	return 0;
}
