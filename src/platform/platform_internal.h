/* SPDX-License-Identifier: MIT */
/*
 * Private view of the emulated platform, shared by src/platform/ only.
 */
#ifndef PDMA_PLATFORM_INTERNAL_H
#define PDMA_PLATFORM_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include <peerdma/mem.h>
#include <peerdma/platform.h>

#include "../fabric/model.h"

/* One memory BAR: immutable after create, but for the guard. */
struct plat_bar {
	int func, bar;
	uint64_t cpu;		/* CPU physical base */
	uint64_t bus;		/* bus address base */
	uint64_t size;
	uint64_t backed;
	bool prefetch;
	struct pdma_region *region;	/* the backing, NULL if unbacked */
	void *mem;		/* its mapping */
	struct pdma_bar_guard guard;	/* set before the platform is shared */
};

/* Per-function state: immutable after create, but the counters. */
struct plat_func {
	int bars[6];		/* index into plat->bars, -1 if none */
	/* Bridges: windows in bus addresses, [base, limit). */
	uint64_t mem_base, mem_limit;
	uint64_t pref_base, pref_limit;
	_Atomic uint64_t link_bytes[2];	/* PDMA_LINK_UP / DOWN */
};

#define PLAT_FAULT_LOG 256

struct pdma_platform {
	struct pdma_fabric *fab;	/* borrowed, immutable */
	struct pdma_platform_opts opts;
	uint64_t *bus_offset;		/* per host bridge */
	struct plat_func *funcs;	/* fab->nr_funcs */
	int nr_bars;
	struct plat_bar *bars;		/* sorted by cpu address */

	uint64_t ram_phys, ram_size;
	struct pdma_region *ram_region;
	void *ram;

	struct pdma_iommu_ops iommu;	/* set before sharing */
	void *iommu_ctx;

	_Atomic uint64_t ram_bytes, hb_p2p_bytes, switch_p2p_bytes;
	_Atomic uint64_t transactions, faults;

	/* fault_lock protects the fault ring below. */
	pthread_mutex_t fault_lock;
	struct pdma_fault fault_log[PLAT_FAULT_LOG];
	uint64_t fault_head;		/* faults ever logged */
};

/* addrmap.c */
PDMA_INTERNAL int pdma__addrmap_build(struct pdma_platform *plat,
				      struct pdma_error *err);
PDMA_INTERNAL const struct plat_bar *
pdma__addrmap_find_cpu(const struct pdma_platform *plat, uint64_t cpu);

/* engine.c: the errno a failed transaction returns. */
PDMA_INTERNAL int pdma__tlp_errno(enum pdma_tlp_status st);

/* platform.c */
PDMA_INTERNAL void pdma__platform_fault(struct pdma_platform *plat,
					int initiator, uint64_t addr,
					enum pdma_tlp_status st, bool write,
					const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

#endif /* PDMA_PLATFORM_INTERNAL_H */
