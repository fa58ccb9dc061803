/* SPDX-License-Identifier: MIT */
/*
 * Verdicts: the kernel's map type and distance for every (provider, client)
 * pair, cached per provider, plus the explanation for people.
 *
 * peerdma's own algorithm computes a provider's whole row in one pass over
 * the tree in parent-before-child order.  The provider's upstream chain is
 * stamped with its distance (dist_a) and the number of redirecting ports
 * from the provider up to and including that bridge; every other function
 * inherits from its parent the first stamped bridge above it (the common
 * ancestor), its own distance to it (dist_b) and the redirecting ports
 * below it.  That is O(functions) per provider instead of O(depth^2) per
 * pair, and gives exactly the kernel's numbers (tests/verdict-equivalence.c
 * checks it against verdict_ref.c on every topology we have and on random
 * ones).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "verdict_internal.h"

/* cpu_supports_p2pdma() || host_bridge_whitelist(), from per-bridge flags. */
static bool thb_allowed(bool cpu_ok, const char *hb_ok_same,
			const char *hb_ok_diff, int hp, int hc)
{
	if (cpu_ok)
		return true;
	if (hp == hc)
		return hb_ok_same[hp];
	return hb_ok_diff[hp] && hb_ok_diff[hc];
}

void pdma__verdict_row(const struct pdma_fabric *fab, int provider,
		       int32_t *entry, int *scratch)
{
	const int n = fab->nr_funcs;
	int *mark = scratch;		/* dist_a of a stamped bridge, else -1 */
	/*
	 * acs_a: for a stamped bridge, the redirecting ports from the provider
	 * up to and including it; for any other function, those from it up
	 * to (not including) its meet.
	 */
	int *acs_a = scratch + n;
	int *meet = scratch + 2 * n;	/* first stamped bridge above, or -1 */
	int *db = scratch + 3 * n;	/* dist_b to meet (or chain length) */
	const struct pdma_func *pf = &fab->funcs[provider];
	const int hp = pf->info.host_bridge;
	const bool cpu_ok = pdma__cpu_supports_p2pdma(fab);
	char ok_same[256], ok_diff[256];
	char *hb_same = ok_same, *hb_diff = ok_diff;
	int cnt = 0;

	if (fab->nr_hbs > 256) {
		hb_same = malloc((size_t)fab->nr_hbs * 2);
		if (!hb_same) {
			/* Fall back to the reference walk, pair by pair. */
			for (int c = 0; c < n; c++) {
				int d;
				enum pdma_map_type t;

				if (pdma_fabric_is_bridge(&fab->funcs[c].info))
					continue;
				t = pdma__kernel_calc(fab, provider, c, &d,
						      NULL);
				entry[c] = pdma__entry(
					t == PDMA_MAP_NOT_SUPPORTED ? -1 : d, t);
			}
			return;
		}
		hb_diff = hb_same + fab->nr_hbs;
	}
	for (int h = 0; h < fab->nr_hbs; h++) {
		hb_same[h] = pdma__hb_status(fab, h, true) == PDMA_HB_OK;
		hb_diff[h] = pdma__hb_status(fab, h, false) == PDMA_HB_OK;
	}

	for (int i = 0; i < n; i++)
		mark[i] = -1;
	for (int k = 0; k <= pf->info.depth; k++) {
		int a = pf->chain[k];

		cnt += pdma__acs_redirects(&fab->funcs[a].info);
		mark[a] = k;
		acs_a[a] = cnt;
	}

	for (int t = 0; t < n; t++) {
		int i = fab->topo[t];
		const struct pdma_func_info *fi = &fab->funcs[i].info;
		int p = fi->parent;

		if (mark[i] >= 0) {
			meet[i] = i;
			db[i] = 0;
			continue;
		}
		if (p == PDMA_NONE) {
			meet[i] = -1;
			db[i] = 1;
			acs_a[i] = 0;
		} else {
			meet[i] = meet[p];
			db[i] = db[p] + 1;
			acs_a[i] = mark[p] >= 0 ? 0 : acs_a[p];
		}
		acs_a[i] += pdma__acs_redirects(fi);
	}

	for (int c = 0; c < n; c++) {
		const struct pdma_func_info *ci = &fab->funcs[c].info;
		enum pdma_map_type type;
		int dist, m = meet[c];

		if (pdma_fabric_is_bridge(ci)) {
			entry[c] = 0;
			continue;
		}
		if (m >= 0) {
			/* The kernel counts client-side ports below meet. */
			int acs = acs_a[m] + (c == m ? 0 : acs_a[c]);

			dist = mark[m] + db[c];
			if (!acs) {
				entry[c] = pdma__entry(dist, PDMA_MAP_BUS_ADDR);
				continue;
			}
		} else {
			dist = pf->info.depth + 1 + db[c];
		}
		type = thb_allowed(cpu_ok, hb_same, hb_diff, hp,
				   ci->host_bridge) ?
			       PDMA_MAP_THRU_HOST_BRIDGE :
			       PDMA_MAP_NOT_SUPPORTED;
		entry[c] = pdma__entry(type == PDMA_MAP_NOT_SUPPORTED ? -1 : dist,
				       type);
	}
	if (hb_same != ok_same)
		free(hb_same);
}

/*
 * Look a pair up in the cache, computing the provider's row on a miss or
 * when the row belongs to an older generation of the model.
 */
static int32_t cached_entry(struct pdma_fabric *fab, int provider, int client)
{
	struct pdma_verdict_row *row;
	int32_t e = 0;

	pthread_mutex_lock(&fab->cache_lock);
	if (!fab->rows) {
		fab->rows = calloc((size_t)fab->nr_funcs, sizeof(*fab->rows));
		fab->scratch = malloc(sizeof(int) * 4 * (size_t)fab->nr_funcs);
		if (!fab->rows || !fab->scratch) {
			free(fab->rows);
			free(fab->scratch);
			fab->rows = NULL;
			fab->scratch = NULL;
			goto out;
		}
	}
	row = &fab->rows[provider];
	if (row->entry && row->gen == fab->gen) {
		fab->hits++;
		e = row->entry[client];
		goto out;
	}
	if (!row->entry) {
		row->entry = malloc(sizeof(int32_t) * (size_t)fab->nr_funcs);
		if (!row->entry)
			goto out;
	}
	pdma__verdict_row(fab, provider, row->entry, fab->scratch);
	row->gen = fab->gen;
	fab->misses++;
	e = row->entry[client];
out:
	pthread_mutex_unlock(&fab->cache_lock);
	return e;
}

static bool valid_pair(const struct pdma_fabric *fab, int p, int c)
{
	return fab->finalized && p >= 0 && p < fab->nr_funcs && c >= 0 &&
	       c < fab->nr_funcs && !pdma_fabric_is_bridge(&fab->funcs[p].info) &&
	       !pdma_fabric_is_bridge(&fab->funcs[c].info);
}

enum pdma_map_type pdma_verdict_map_type(struct pdma_fabric *fab, int provider,
					 int client, int *distance)
{
	int32_t e;

	if (!valid_pair(fab, provider, client))
		return PDMA_MAP_UNKNOWN;
	e = cached_entry(fab, provider, client);
	if (!e) {
		/* Out of memory for the cache: compute it the kernel's way. */
		int d;
		enum pdma_map_type t =
			pdma__kernel_calc(fab, provider, client, &d, NULL);

		e = pdma__entry(t == PDMA_MAP_NOT_SUPPORTED ? -1 : d, t);
	}
	if (distance)
		*distance = pdma__entry_dist(e);
	return pdma__entry_type(e);
}

int pdma_verdict_distance_many(struct pdma_fabric *fab, int provider,
			       const int *clients, int n)
{
	int total = 0;

	if (n <= 0)
		return -1;
	for (int i = 0; i < n; i++) {
		int d;

		if (pdma_verdict_map_type(fab, provider, clients[i], &d) <=
		    PDMA_MAP_NOT_SUPPORTED)
			return -1;
		total += d;
	}
	return total;
}

void pdma_verdict_cache_stats(const struct pdma_fabric *fab, uint64_t *hits,
			      uint64_t *misses, uint64_t *invalidations)
{
	struct pdma_fabric *f = (struct pdma_fabric *)fab;

	pthread_mutex_lock(&f->cache_lock);
	if (hits)
		*hits = f->hits;
	if (misses)
		*misses = f->misses;
	if (invalidations)
		*invalidations = f->invalidations;
	pthread_mutex_unlock(&f->cache_lock);
}

const char *pdma_map_type_name(enum pdma_map_type t)
{
	switch (t) {
	case PDMA_MAP_BUS_ADDR:
		return "BUS_ADDR";
	case PDMA_MAP_THRU_HOST_BRIDGE:
		return "THRU_HOST_BRIDGE";
	case PDMA_MAP_NOT_SUPPORTED:
		return "NOT_SUPPORTED";
	default:
		return "UNKNOWN";
	}
}

const char *pdma_path_class_name(enum pdma_path_class c)
{
	static const char *const names[] = { "X", "PIX", "PXB",
					     "PHB", "NODE", "SYS" };

	if ((unsigned)c >= sizeof(names) / sizeof(names[0]))
		return "?";
	return names[c];
}

const char *pdma_rule_name(enum pdma_rule r)
{
	switch (r) {
	case PDMA_RULE_ACS_REDIRECT:
		return "acs_redirect";
	case PDMA_RULE_NO_COMMON_BRIDGE:
		return "no_common_upstream_bridge";
	case PDMA_RULE_CPU_ALLOWS:
		return "cpu_amd_zen_allows";
	case PDMA_RULE_CPU_TOO_OLD:
		return "cpu_amd_family_too_old";
	case PDMA_RULE_CPU_NOT_AMD:
		return "cpu_not_amd";
	case PDMA_RULE_HB_ALLOWED:
		return "host_bridge_allowed";
	case PDMA_RULE_HB_NOT_LISTED:
		return "host_bridge_not_allowed";
	case PDMA_RULE_HB_REQ_SAME:
		return "host_bridge_requires_same";
	case PDMA_RULE_HB_NO_ROOT_DEV:
		return "host_bridge_no_root_device";
	case PDMA_RULE_ACS_UNKNOWN:
		return "acs_unknown";
	case PDMA_RULE_IOMMU_TRANSLATES:
		return "iommu_translates";
	case PDMA_RULE_IOMMU_BLOCKS:
		return "iommu_blocks";
	}
	return "?";
}
