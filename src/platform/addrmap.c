/* SPDX-License-Identifier: MIT */
/*
 * The address map: where RAM, BARs and bridge windows sit.
 *
 * CPU physical space:
 *
 *   0x1_0000_0000           RAM (ram_bytes)
 *   0x100_0000_0000         host bridge 0: non-prefetchable BARs (4 GiB)
 *                           host bridge 0: prefetchable BARs
 *   (next 1 GiB boundary)   host bridge 1: ...
 *
 * Like firmware enumeration, each host bridge's tree is walked depth
 * first; every BAR is naturally aligned, every bridge window is the 1 MiB
 * aligned hull of what sits below it, kept apart for non-prefetchable and
 * prefetchable memory.  When the source recorded BAR addresses (sysfs
 * `resource`) and they are complete and consistent, those are kept and the
 * windows are the hulls around them, as the real bridges' registers are.
 * Bus addresses are CPU addresses plus the host bridge's bus offset.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform_internal.h"

#define RAM_PHYS	0x100000000ULL
#define MMIO_BASE	0x10000000000ULL
#define NP_SPAN		(4ULL << 30)
#define WIN_ALIGN	(1ULL << 20)
#define HB_ALIGN	(1ULL << 30)

static uint64_t align_up(uint64_t x, uint64_t a)
{
	return (x + a - 1) & ~(a - 1);
}

static uint64_t pow2_roundup(uint64_t x)
{
	uint64_t p = 1;

	while (p < x && p)
		p <<= 1;
	return p;
}

static bool is_mem_bar(const struct pdma_bar *b)
{
	return (b->flags & PDMA_BAR_MEM) && b->size;
}

static int cmp_bar_cpu(const void *a, const void *b)
{
	const struct plat_bar *x = a, *y = b;

	return x->cpu < y->cpu ? -1 : x->cpu > y->cpu;
}

/* Can the addresses the source recorded be used as they are? */
static bool source_bars_usable(const struct pdma_platform *plat)
{
	const struct plat_bar *b = plat->bars;

	for (int i = 0; i < plat->nr_bars; i++) {
		if (!b[i].cpu || (b[i].cpu & (b[i].size - 1)))
			return false;
		if (b[i].cpu < RAM_PHYS + plat->ram_size &&
		    b[i].cpu + b[i].size > RAM_PHYS)
			return false;
		if (i && b[i - 1].cpu + b[i - 1].size > b[i].cpu)
			return false;
	}
	return true;
}

struct cursor {
	uint64_t np, pf;
};

static void assign_subtree(struct pdma_platform *plat, int idx,
			   struct cursor *c)
{
	const struct pdma_func *f = &plat->fab->funcs[idx];
	struct plat_func *pf = &plat->funcs[idx];

	for (int i = 0; i < 6; i++) {
		struct plat_bar *b;

		if (pf->bars[i] < 0)
			continue;
		b = &plat->bars[pf->bars[i]];
		if (b->prefetch) {
			c->pf = align_up(c->pf, b->size);
			b->cpu = c->pf;
			c->pf += b->size;
		} else {
			c->np = align_up(c->np, b->size);
			b->cpu = c->np;
			c->np += b->size;
		}
	}
	if (!pdma_fabric_is_bridge(&f->info))
		return;
	c->np = align_up(c->np, WIN_ALIGN);
	c->pf = align_up(c->pf, WIN_ALIGN);
	pf->mem_base = c->np;
	pf->pref_base = c->pf;
	for (int ch = f->first_child; ch >= 0;
	     ch = plat->fab->funcs[ch].next_sibling)
		assign_subtree(plat, ch, c);
	c->np = align_up(c->np, WIN_ALIGN);
	c->pf = align_up(c->pf, WIN_ALIGN);
	pf->mem_limit = c->np;
	pf->pref_limit = c->pf;
}

static int assign_all(struct pdma_platform *plat, struct pdma_error *err)
{
	const struct pdma_fabric *fab = plat->fab;
	uint64_t base = MMIO_BASE;

	for (int h = 0; h < fab->nr_hbs; h++) {
		struct cursor c = { base, base + NP_SPAN };

		for (int i = 0; i < fab->nr_funcs; i++)
			if (fab->funcs[i].info.host_bridge == h &&
			    fab->funcs[i].info.parent == PDMA_NONE)
				assign_subtree(plat, i, &c);
		if (c.np > base + NP_SPAN) {
			pdma__err(err,
				  "host bridge %s: its non-prefetchable BARs need more than 4 GiB",
				  fab->hbs[h].info.name);
			return -EINVAL;
		}
		if (c.pf < base || c.pf > (1ULL << 52)) {
			pdma__err(err,
				  "host bridge %s: its BARs do not fit in 52 bits of address space",
				  fab->hbs[h].info.name);
			return -EINVAL;
		}
		base = align_up(c.pf, HB_ALIGN);
	}
	return 0;
}

/* Windows as the hull of what the source placed below each bridge. */
static void hull_windows(struct pdma_platform *plat)
{
	const struct pdma_fabric *fab = plat->fab;

	for (int i = 0; i < fab->nr_funcs; i++) {
		plat->funcs[i].mem_base = plat->funcs[i].pref_base = UINT64_MAX;
		plat->funcs[i].mem_limit = plat->funcs[i].pref_limit = 0;
	}
	for (int n = 0; n < plat->nr_bars; n++) {
		const struct plat_bar *b = &plat->bars[n];
		const struct pdma_func *f = &fab->funcs[b->func];

		/* Every bridge above the BAR's function (not itself). */
		for (int k = 1; k <= f->info.depth; k++) {
			struct plat_func *w = &plat->funcs[f->chain[k]];
			uint64_t *lo = b->prefetch ? &w->pref_base : &w->mem_base;
			uint64_t *hi = b->prefetch ? &w->pref_limit : &w->mem_limit;

			if (b->cpu < *lo)
				*lo = b->cpu & ~(WIN_ALIGN - 1);
			if (b->cpu + b->size > *hi)
				*hi = align_up(b->cpu + b->size, WIN_ALIGN);
		}
	}
	for (int i = 0; i < fab->nr_funcs; i++) {
		struct plat_func *w = &plat->funcs[i];

		if (w->mem_base == UINT64_MAX)
			w->mem_base = w->mem_limit = 0;
		if (w->pref_base == UINT64_MAX)
			w->pref_base = w->pref_limit = 0;
	}
}

/* Windows were computed in CPU addresses: move them to bus addresses. */
static void windows_to_bus(struct pdma_platform *plat)
{
	const struct pdma_fabric *fab = plat->fab;

	for (int i = 0; i < fab->nr_funcs; i++) {
		struct plat_func *w = &plat->funcs[i];
		uint64_t off = plat->bus_offset[fab->funcs[i].info.host_bridge];

		if (w->mem_limit > w->mem_base) {
			w->mem_base += off;
			w->mem_limit += off;
		}
		if (w->pref_limit > w->pref_base) {
			w->pref_base += off;
			w->pref_limit += off;
		}
	}
}

int pdma__addrmap_build(struct pdma_platform *plat, struct pdma_error *err)
{
	const struct pdma_fabric *fab = plat->fab;
	int n = 0, ret;
	char bdf[16];

	plat->ram_phys = RAM_PHYS;
	for (int h = 0; h < fab->nr_hbs; h++)
		plat->bus_offset[h] =
			plat->opts.bus_offsets ? (uint64_t)(h + 1) << 44 : 0;
	for (int i = 0; i < fab->nr_funcs; i++)
		for (int b = 0; b < 6; b++)
			n += is_mem_bar(&fab->funcs[i].info.bars[b]);
	plat->bars = calloc((size_t)n + 1, sizeof(*plat->bars));
	if (!plat->bars)
		return -ENOMEM;
	for (int i = 0; i < fab->nr_funcs; i++) {
		const struct pdma_func_info *fi = &fab->funcs[i].info;

		for (int b = 0; b < 6; b++) {
			struct plat_bar *pb;

			plat->funcs[i].bars[b] = -1;
			if (!is_mem_bar(&fi->bars[b]))
				continue;
			if (fi->bars[b].size > (1ULL << 46)) {
				pdma__err(err, "%s: BAR %d is %llu bytes, more than this emulator can map",
					  pdma_bdf_format(fi, bdf, sizeof(bdf)),
					  b, (unsigned long long)fi->bars[b].size);
				return -EINVAL;
			}
			pb = &plat->bars[plat->nr_bars];
			pb->func = i;
			pb->bar = b;
			pb->size = pow2_roundup(fi->bars[b].size);
			pb->cpu = fi->bars[b].addr;
			pb->prefetch = fi->bars[b].flags & PDMA_BAR_PREFETCH;
			plat->funcs[i].bars[b] = plat->nr_bars++;
		}
	}

	qsort(plat->bars, (size_t)plat->nr_bars, sizeof(*plat->bars),
	      cmp_bar_cpu);
	if (plat->opts.keep_source_bars && source_bars_usable(plat)) {
		hull_windows(plat);
	} else {
		ret = assign_all(plat, err);
		if (ret)
			return ret;
		qsort(plat->bars, (size_t)plat->nr_bars, sizeof(*plat->bars),
		      cmp_bar_cpu);
	}
	/* Sorting moved the BARs: point the functions at them again. */
	for (int k = 0; k < plat->nr_bars; k++) {
		struct plat_bar *b = &plat->bars[k];

		plat->funcs[b->func].bars[b->bar] = k;
		b->bus = b->cpu + plat->bus_offset[fab->funcs[b->func].info.host_bridge];
	}
	windows_to_bus(plat);
	return 0;
}

const struct plat_bar *pdma__addrmap_find_cpu(const struct pdma_platform *plat,
					      uint64_t cpu)
{
	int lo = 0, hi = plat->nr_bars - 1;

	while (lo <= hi) {
		int mid = lo + (hi - lo) / 2;
		const struct plat_bar *b = &plat->bars[mid];

		if (cpu < b->cpu)
			hi = mid - 1;
		else if (cpu >= b->cpu + b->size)
			lo = mid + 1;
		else
			return b;
	}
	return NULL;
}
