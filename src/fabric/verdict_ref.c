/* SPDX-License-Identifier: MIT */
/*
 * calc_map_type_and_dist() the way the kernel writes it: for each bridge
 * above the provider, walk every bridge above the client looking for it.
 * O(depth^2) per pair and a fresh allow-list scan per rejected pair; kept
 * as the reference that peerdma's own algorithm (verdict.c) is checked and
 * measured against, and as the walk that explain reports from.
 *
 * For two endpoints below one switch the walk sees:
 *
 *     provider -> DSP0 -> USP <- DSP1 <- client
 *     dist_a = 2 (provider, DSP0; found at USP)   dist_b = 2 (client, DSP1)
 *
 * distance 4, and any of DSP0, USP, DSP1 with ACS RR/CR/EC set downgrades
 * BUS_ADDR to THRU_HOST_BRIDGE.
 */
#include <stdlib.h>

#include "verdict_internal.h"

static int upstream(const struct pdma_fabric *fab, int idx)
{
	return fab->funcs[idx].info.parent;	/* pci_upstream_bridge() */
}

static bool has_acs_redir(const struct pdma_fabric *fab, int idx)
{
	return pdma__acs_redirects(&fab->funcs[idx].info);
}

enum pdma_map_type pdma__kernel_calc(const struct pdma_fabric *fab,
				     int provider, int client, int *dist,
				     struct pdma_kwalk *walk)
{
	enum pdma_map_type map_type = PDMA_MAP_THRU_HOST_BRIDGE;
	int a = provider, b = client, bb;
	bool acs_redirects = false;
	int dist_a = 0, dist_b = 0, acs_cnt = 0;
	int *list = NULL;
	bool allowed;

	if (walk) {
		walk->ancestor = PDMA_NONE;
		walk->nr_offenders = 0;
		list = malloc(sizeof(int) *
			      (size_t)(fab->funcs[provider].info.depth +
				       fab->funcs[client].info.depth + 2));
		walk->offenders = list;
	}

	while (a != PDMA_NONE) {
		dist_b = 0;
		if (has_acs_redir(fab, a)) {
			if (list)
				list[acs_cnt] = a;
			acs_cnt++;
		}
		bb = b;
		while (bb != PDMA_NONE) {
			if (a == bb)
				goto check_b_path_acs;
			bb = upstream(fab, bb);
			dist_b++;
		}
		a = upstream(fab, a);
		dist_a++;
	}
	*dist = dist_a + dist_b;
	/* No common ancestor: the ports counted above do not matter. */
	acs_cnt = 0;
	goto map_through_host_bridge;

check_b_path_acs:
	bb = b;
	while (bb != PDMA_NONE) {
		if (a == bb)
			break;
		if (has_acs_redir(fab, bb)) {
			if (list)
				list[acs_cnt] = bb;
			acs_cnt++;
		}
		bb = upstream(fab, bb);
	}
	*dist = dist_a + dist_b;
	if (walk)
		walk->ancestor = a;
	if (!acs_cnt) {
		map_type = PDMA_MAP_BUS_ADDR;
		goto done;
	}
	acs_redirects = true;

map_through_host_bridge:
	(void)acs_redirects;	/* the kernel uses it only to warn */
	if (walk) {
		int hp = fab->funcs[provider].info.host_bridge;
		int hc = fab->funcs[client].info.host_bridge;

		walk->same_hb = hp == hc;
		walk->cpu_ok = pdma__cpu_supports_p2pdma(fab);
		walk->hb_p = pdma__hb_status(fab, hp, hp == hc);
		walk->hb_c = walk->hb_p == PDMA_HB_OK && hp != hc ?
				     pdma__hb_status(fab, hc, false) :
				     PDMA_HB_OK;
	}
	if (pdma__cpu_supports_p2pdma(fab)) {
		allowed = true;
	} else {
		int hp = fab->funcs[provider].info.host_bridge;
		int hc = fab->funcs[client].info.host_bridge;

		if (hp == hc)
			allowed = pdma__hb_status(fab, hp, true) == PDMA_HB_OK;
		else
			allowed = pdma__hb_status(fab, hp, false) == PDMA_HB_OK &&
				  pdma__hb_status(fab, hc, false) == PDMA_HB_OK;
	}
	if (!allowed)
		map_type = PDMA_MAP_NOT_SUPPORTED;
done:
	if (walk) {
		walk->dist_a = dist_a;
		walk->dist_b = dist_b;
		walk->nr_offenders = acs_cnt;
	}
	return map_type;
}
