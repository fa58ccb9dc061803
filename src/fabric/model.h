/* SPDX-License-Identifier: MIT */
/*
 * Private view of the fabric model, shared by src/fabric/ only.
 */
#ifndef PDMA_FABRIC_MODEL_H
#define PDMA_FABRIC_MODEL_H

#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>

#include <peerdma/fabric.h>
#include <peerdma/verdict.h>

struct pdma_func {
	struct pdma_func_info info;	/* immutable after finalize, but for
					 * info.acs_ctrl (set_acs_ctrl) */
	int *chain;	/* immutable: chain[0] = self, chain[k] = k-th
			 * upstream bridge; info.depth + 1 entries */
	int first_child;	/* immutable: first function below, or -1 */
	int next_sibling;	/* immutable: next on the same parent, or -1 */
};

struct pdma_host_bridge {
	struct pdma_host_bridge_info info;	/* immutable after finalize */
};

/*
 * One cached row: the kernel's answer for one provider against every
 * function.  entry = (distance + 1) << 3 | map type, so that 0 is "never
 * computed" and a distance of -1 still fits.
 */
struct pdma_verdict_row {
	uint64_t gen;		/* fabric generation it was computed for */
	int32_t *entry;		/* nr_funcs entries */
};

struct pdma_fabric {
	bool finalized;
	int nr_funcs, cap_funcs;
	struct pdma_func *funcs;
	int nr_hbs, cap_hbs;
	struct pdma_host_bridge *hbs;
	int *topo;		/* immutable: indices, parents before children */
	struct pdma_platform_info platform;
	enum pdma_rules rules;
	int nr_notes;
	char **notes;
	int nr_groups;		/* iommu group types, indexed by group id */
	enum pdma_iommu_type *group_type;

	uint64_t gen;		/* changed only with exclusive access */

	/*
	 * cache_lock protects rows[], scratch and the counters below it.  It
	 * is a leaf lock: nothing is called with it held but the row
	 * computation, which takes no other lock.
	 */
	pthread_mutex_t cache_lock;
	struct pdma_verdict_row *rows;	/* nr_funcs, lazily allocated */
	int *scratch;			/* 4 * nr_funcs ints */
	uint64_t hits, misses, invalidations;
};

/* Prefix of library-internal symbols (not exported by the version map). */
#define PDMA_INTERNAL __attribute__((visibility("hidden")))

/* finalize.c: also used when the model changes after finalize. */
PDMA_INTERNAL int pdma__build_topo(struct pdma_fabric *fab);
PDMA_INTERNAL void pdma__derive_host_bridges(struct pdma_fabric *fab);

/* model.c */
PDMA_INTERNAL bool pdma__acs_redirects(const struct pdma_func_info *fi);
PDMA_INTERNAL void pdma__fabric_changed(struct pdma_fabric *fab);
PDMA_INTERNAL int pdma__fabric_hb_of(const struct pdma_fabric *fab, int idx);
PDMA_INTERNAL bool pdma__uplink(const struct pdma_fabric *fab, int idx,
				struct pdma_link *out);

/* model.c: append a formatted line to a growing array of strings. */
PDMA_INTERNAL int pdma__notes_vadd(char ***notes, int *nr, const char *fmt,
				   va_list ap) __attribute__((format(printf, 3, 0)));

/* names.c: vendor and device names from libpci's ID database. */
PDMA_INTERNAL void pdma__names_fill(struct pdma_fabric *fab);

/* error.c */
PDMA_INTERNAL void pdma__err(struct pdma_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif /* PDMA_FABRIC_MODEL_H */
