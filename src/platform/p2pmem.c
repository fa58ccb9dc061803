/* SPDX-License-Identifier: MIT */
/*
 * A p2pmem provider on a platform BAR, and the guard that makes its
 * teardown visible to DMA: a transfer into an allocation pins it (the
 * kernel's percpu ref on the pagemap), and once the provider is removed
 * every transfer into the BAR fails with -ENODEV instead of reaching memory
 * that was handed back.
 */
#include <errno.h>
#include <stdlib.h>

#include "platform_internal.h"

struct p2pmem_guard {
	struct pdma_p2pmem_provider *prov;	/* a reference of our own */
	char *base;				/* the BAR's memory */
};

static int guard_begin(void *ctx, uint64_t off, uint64_t len, void **cookie)
{
	struct p2pmem_guard *g = ctx;
	struct pdma_p2pmem_block *blk;
	int ret;

	*cookie = NULL;
	ret = pdma_p2pmem_access_begin(g->prov, g->base + off, len, &blk);
	if (ret == -EFAULT)
		return 0;	/* not p2pmem (registers, unallocated): no pin */
	if (ret)
		return ret;	/* -ENODEV: the provider is being removed */
	*cookie = blk;
	return 0;
}

static void guard_end(void *ctx, void *cookie)
{
	(void)ctx;
	if (cookie)
		pdma_p2pmem_access_end(cookie);
}

static void guard_release(void *ctx)
{
	struct p2pmem_guard *g = ctx;

	pdma_p2pmem_provider_put(g->prov);
	free(g);
}

int pdma_platform_p2pmem_provider(struct pdma_platform *plat, int func,
				  int bar, struct pdma_p2pmem_provider **out)
{
	struct pdma_p2pmem_bar desc = { .size = sizeof(desc) };
	struct pdma_p2pmem_provider *prov;
	struct pdma_bar_guard guard = { guard_begin, guard_end, guard_release,
					NULL };
	struct p2pmem_guard *g;
	struct pdma_bar_map bm;
	int ret;

	*out = NULL;
	if (pdma_platform_bar(plat, func, bar, &bm))
		return -ENOENT;
	ret = pdma_p2pmem_provider_create(plat->fab, func, &prov);
	if (ret)
		return ret;
	desc.flags = plat->fab->funcs[func].info.bars[bar].flags;
	desc.region = pdma_platform_bar_region(plat, func, bar);
	desc.len = bm.backed;
	desc.cpu_addr = bm.cpu_addr;
	desc.bus_addr = bm.bus_addr;
	ret = pdma_p2pmem_set_bar(prov, bar, &desc);
	if (ret)
		goto err_put;
	g = malloc(sizeof(*g));
	ret = -ENOMEM;
	if (!g)
		goto err_put;
	g->prov = pdma_p2pmem_provider_get(prov);
	g->base = bm.mem;
	guard.ctx = g;
	pdma_platform_set_bar_guard(plat, func, bar, &guard);
	*out = prov;
	return 0;

err_put:
	pdma_p2pmem_provider_put(prov);
	return ret;
}
