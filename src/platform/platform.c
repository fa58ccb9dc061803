/* SPDX-License-Identifier: MIT */
/*
 * The emulated platform: lifecycle, memory behind RAM and BARs, moving the
 * bytes of routed transactions, accounting and the fault log.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform_internal.h"

void pdma_platform_opts_init(struct pdma_platform_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->size = sizeof(*o);
	o->ram_bytes = 64ULL << 20;
	o->keep_source_bars = true;
}

int pdma_platform_create(struct pdma_fabric *fab,
			 const struct pdma_platform_opts *opts,
			 struct pdma_platform **out, struct pdma_error *err)
{
	struct pdma_platform *plat;
	int ret;

	*out = NULL;
	if (!fab->finalized) {
		pdma__err(err, "the fabric is not finalized");
		return -EINVAL;
	}
	plat = calloc(1, sizeof(*plat));
	if (!plat)
		return -ENOMEM;
	pdma_platform_opts_init(&plat->opts);
	if (opts)
		memcpy(&plat->opts, opts,
		       opts->size < sizeof(*opts) ? opts->size : sizeof(*opts));
	plat->opts.size = sizeof(plat->opts);
	plat->fab = fab;
	pthread_mutex_init(&plat->fault_lock, NULL);
	plat->ram_size = (plat->opts.ram_bytes + 4095) & ~4095ULL;
	if (!plat->ram_size) {
		pdma__err(err, "the platform needs some RAM (ram_bytes is 0)");
		ret = -EINVAL;
		goto err_free;
	}
	plat->bus_offset = calloc((size_t)fab->nr_hbs + 1,
				  sizeof(*plat->bus_offset));
	plat->funcs = calloc((size_t)fab->nr_funcs + 1, sizeof(*plat->funcs));
	ret = -ENOMEM;
	if (!plat->bus_offset || !plat->funcs)
		goto err_free;
	ret = pdma__addrmap_build(plat, err);
	if (ret)
		goto err_free;

	/* Shared memory a later daemon can hand out: memfd, MAP_SHARED. */
	ret = pdma_region_create("pdma-ram", plat->ram_size, &plat->ram_region);
	if (ret) {
		pdma__err(err, "cannot back %llu bytes of RAM: %s",
			  (unsigned long long)plat->ram_size, strerror(-ret));
		goto err_free;
	}
	plat->ram = pdma_region_base(plat->ram_region);
	for (int k = 0; k < plat->nr_bars; k++) {
		struct plat_bar *b = &plat->bars[k];
		char name[40], bdf[16];

		b->backed = b->size;
		if (plat->opts.max_bar_backing && b->backed > plat->opts.max_bar_backing)
			b->backed = plat->opts.max_bar_backing;
		pdma_bdf_format(&fab->funcs[b->func].info, bdf, sizeof(bdf));
		snprintf(name, sizeof(name), "pdma-%s-bar%d", bdf, b->bar);
		ret = pdma_region_create(name, b->backed, &b->region);
		if (ret) {
			pdma__err(err, "%s: cannot back BAR %d (%llu bytes): %s",
				  bdf, b->bar, (unsigned long long)b->backed,
				  strerror(-ret));
			goto err_free;
		}
		b->mem = pdma_region_base(b->region);
	}
	*out = plat;
	return 0;

err_free:
	pdma_platform_destroy(plat);
	return ret;
}

void pdma_platform_destroy(struct pdma_platform *plat)
{
	if (!plat)
		return;
	for (int k = 0; k < plat->nr_bars; k++) {
		struct pdma_bar_guard *g = &plat->bars[k].guard;

		if (g->release)
			g->release(g->ctx);
		pdma_region_destroy(plat->bars[k].region);
	}
	pdma_region_destroy(plat->ram_region);
	pthread_mutex_destroy(&plat->fault_lock);
	free(plat->bars);
	free(plat->funcs);
	free(plat->bus_offset);
	free(plat);
}

struct pdma_fabric *pdma_platform_fabric(const struct pdma_platform *plat)
{
	return plat->fab;
}

int pdma_platform_bar(const struct pdma_platform *plat, int func, int bar,
		      struct pdma_bar_map *out)
{
	const struct plat_bar *b;

	if (func < 0 || func >= plat->fab->nr_funcs || bar < 0 || bar > 5 ||
	    plat->funcs[func].bars[bar] < 0)
		return -ENOENT;
	b = &plat->bars[plat->funcs[func].bars[bar]];
	out->cpu_addr = b->cpu;
	out->bus_addr = b->bus;
	out->size = b->size;
	out->backed = b->backed;
	out->mem = b->mem;
	out->fd = pdma_region_fd(b->region);
	return 0;
}

void pdma_platform_ram(const struct pdma_platform *plat, uint64_t *phys,
		       uint64_t *size, void **mem, int *fd)
{
	if (phys)
		*phys = plat->ram_phys;
	if (size)
		*size = plat->ram_size;
	if (mem)
		*mem = plat->ram;
	if (fd)
		*fd = pdma_region_fd(plat->ram_region);
}

struct pdma_region *pdma_platform_bar_region(const struct pdma_platform *plat,
					     int func, int bar)
{
	if (func < 0 || func >= plat->fab->nr_funcs || bar < 0 || bar > 5 ||
	    plat->funcs[func].bars[bar] < 0)
		return NULL;
	return plat->bars[plat->funcs[func].bars[bar]].region;
}

int pdma_platform_find(const struct pdma_platform *plat, uint64_t cpu,
		       int *func, int *bar, uint64_t *off)
{
	const struct plat_bar *b = pdma__addrmap_find_cpu(plat, cpu);

	if (!b)
		return -ENOENT;
	*func = b->func;
	*bar = b->bar;
	*off = cpu - b->cpu;
	return 0;
}

uint64_t pdma_platform_bus_offset(const struct pdma_platform *plat, int hb)
{
	if (hb < 0 || hb >= plat->fab->nr_hbs)
		return 0;
	return plat->bus_offset[hb];
}

int pdma_platform_window(const struct pdma_platform *plat, int func,
			 uint64_t *mem_base, uint64_t *mem_limit,
			 uint64_t *pref_base, uint64_t *pref_limit)
{
	const struct plat_func *w;

	if (func < 0 || func >= plat->fab->nr_funcs ||
	    !pdma_fabric_is_bridge(&plat->fab->funcs[func].info))
		return -EINVAL;
	w = &plat->funcs[func];
	*mem_base = w->mem_base;
	*mem_limit = w->mem_limit;
	*pref_base = w->pref_base;
	*pref_limit = w->pref_limit;
	return 0;
}

void pdma_platform_set_iommu(struct pdma_platform *plat,
			     const struct pdma_iommu_ops *ops, void *ctx)
{
	if (ops)
		plat->iommu = *ops;
	else
		memset(&plat->iommu, 0, sizeof(plat->iommu));
	plat->iommu_ctx = ctx;
}

int pdma_platform_set_bar_guard(struct pdma_platform *plat, int func, int bar,
				const struct pdma_bar_guard *guard)
{
	struct plat_bar *b;

	if (func < 0 || func >= plat->fab->nr_funcs || bar < 0 || bar > 5 ||
	    plat->funcs[func].bars[bar] < 0)
		return -ENOENT;
	b = &plat->bars[plat->funcs[func].bars[bar]];
	if (b->guard.release)
		b->guard.release(b->guard.ctx);
	if (guard)
		b->guard = *guard;
	else
		memset(&b->guard, 0, sizeof(b->guard));
	return 0;
}

/* ---- faults and accounting ---------------------------------------------- */

const char *pdma_tlp_status_name(enum pdma_tlp_status s)
{
	switch (s) {
	case PDMA_TLP_OK:
		return "ok";
	case PDMA_TLP_UNSUPPORTED:
		return "unsupported request";
	case PDMA_TLP_IOMMU_FAULT:
		return "IOMMU fault";
	case PDMA_TLP_BEYOND_BAR:
		return "access beyond a BAR";
	case PDMA_TLP_REVOKED:
		return "access to a revoked region";
	case PDMA_TLP_P2P_BLOCKED:
		return "host bridge does not route peer-to-peer";
	}
	return "?";
}

void pdma__platform_fault(struct pdma_platform *plat, int initiator,
			  uint64_t addr, enum pdma_tlp_status st, bool write,
			  const char *fmt, ...)
{
	struct pdma_fault *f;
	va_list ap;

	atomic_fetch_add(&plat->faults, 1);
	pthread_mutex_lock(&plat->fault_lock);
	f = &plat->fault_log[plat->fault_head % PLAT_FAULT_LOG];
	f->initiator = initiator;
	f->addr = addr;
	f->status = st;
	f->write = write;
	va_start(ap, fmt);
	vsnprintf(f->text, sizeof(f->text), fmt, ap);
	va_end(ap);
	plat->fault_head++;
	pthread_mutex_unlock(&plat->fault_lock);
}

uint64_t pdma_platform_fault_count(const struct pdma_platform *plat)
{
	return atomic_load(&((struct pdma_platform *)plat)->faults);
}

int pdma_platform_fault_get(const struct pdma_platform *plat, int idx,
			    struct pdma_fault *out)
{
	struct pdma_platform *p = (struct pdma_platform *)plat;
	int ret = -ENOENT;

	pthread_mutex_lock(&p->fault_lock);
	if (idx >= 0 && idx < PLAT_FAULT_LOG && (uint64_t)idx < p->fault_head) {
		*out = p->fault_log[(p->fault_head - 1 - (uint64_t)idx) %
				    PLAT_FAULT_LOG];
		ret = 0;
	}
	pthread_mutex_unlock(&p->fault_lock);
	return ret;
}

uint64_t pdma_platform_link_bytes(const struct pdma_platform *plat, int func,
				  enum pdma_link_dir dir)
{
	if (func < 0 || func >= plat->fab->nr_funcs || (dir != PDMA_LINK_UP &&
							dir != PDMA_LINK_DOWN))
		return 0;
	return atomic_load(&plat->funcs[func].link_bytes[dir]);
}

void pdma_platform_stats(const struct pdma_platform *plat,
			 struct pdma_platform_stats *st)
{
	struct pdma_platform *p = (struct pdma_platform *)plat;

	st->ram_bytes = atomic_load(&p->ram_bytes);
	st->host_bridge_p2p_bytes = atomic_load(&p->hb_p2p_bytes);
	st->switch_p2p_bytes = atomic_load(&p->switch_p2p_bytes);
	st->transactions = atomic_load(&p->transactions);
	st->faults = atomic_load(&p->faults);
}

void pdma_platform_reset_stats(struct pdma_platform *plat)
{
	for (int i = 0; i < plat->fab->nr_funcs; i++) {
		atomic_store(&plat->funcs[i].link_bytes[0], 0);
		atomic_store(&plat->funcs[i].link_bytes[1], 0);
	}
	atomic_store(&plat->ram_bytes, 0);
	atomic_store(&plat->hb_p2p_bytes, 0);
	atomic_store(&plat->switch_p2p_bytes, 0);
	atomic_store(&plat->transactions, 0);
	atomic_store(&plat->faults, 0);
	pthread_mutex_lock(&plat->fault_lock);
	plat->fault_head = 0;
	pthread_mutex_unlock(&plat->fault_lock);
}
