/* SPDX-License-Identifier: MIT */
/*
 * Private parts of the verdict layer, shared with tests and bench.
 */
#ifndef PDMA_VERDICT_INTERNAL_H
#define PDMA_VERDICT_INTERNAL_H

#include "model.h"

/* __host_bridge_whitelist() outcomes. */
enum pdma_hb_status {
	PDMA_HB_OK = 0,
	PDMA_HB_NOT_LISTED,	/* root device not on the list */
	PDMA_HB_REQ_SAME,	/* listed with REQ_SAME_HOST_BRIDGE, pair spans two */
	PDMA_HB_NO_ROOT,	/* no 00.0 or root port first on the root bus */
};

/* hostbridge.c */
PDMA_INTERNAL enum pdma_hb_status pdma__hb_status(const struct pdma_fabric *fab,
						  int hb, bool same);
PDMA_INTERNAL bool pdma__cpu_supports_p2pdma(const struct pdma_fabric *fab);

/*
 * What the kernel's walk saw, for explain: the common ancestor (or NONE),
 * the two distances, and the ports with ACS redirect in the order the
 * kernel prints them.  offenders is malloc'ed; free it.
 */
struct pdma_kwalk {
	int ancestor;
	int dist_a, dist_b;
	int nr_offenders;
	int *offenders;
	bool cpu_ok;
	enum pdma_hb_status hb_p, hb_c;	/* hb_c only when hb_p was OK */
	bool same_hb;
};

/*
 * verdict_ref.c: calc_map_type_and_dist() as the kernel writes it, two
 * nested loops over upstream bridges.  The reference for tests and bench.
 */
PDMA_INTERNAL enum pdma_map_type pdma__kernel_calc(const struct pdma_fabric *fab,
						   int provider, int client,
						   int *dist,
						   struct pdma_kwalk *walk);

/* Row entries: (distance + 1) << 3 | map type; 0 = not computed. */
static inline int32_t pdma__entry(int dist, enum pdma_map_type t)
{
	return (int32_t)(((uint32_t)(dist + 1) << 3) | (uint32_t)t);
}

static inline enum pdma_map_type pdma__entry_type(int32_t e)
{
	return (enum pdma_map_type)(e & 7);
}

static inline int pdma__entry_dist(int32_t e)
{
	return (int)((uint32_t)e >> 3) - 1;
}

/*
 * verdict.c: peerdma's algorithm, one provider against every function in a
 * single pass over the tree.  @scratch holds 4 * nr_funcs ints.  Entries
 * of bridges are left 0.
 */
PDMA_INTERNAL void pdma__verdict_row(const struct pdma_fabric *fab,
				     int provider, int32_t *entry,
				     int *scratch);

#endif /* PDMA_VERDICT_INTERNAL_H */
