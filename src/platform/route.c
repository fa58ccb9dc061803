/* SPDX-License-Identifier: MIT */
/*
 * Routing a transaction through the emulated fabric.
 *
 * From the initiator the transaction climbs.  At each bridge it meets, the
 * bridge's windows (bus addresses) say whether the address lies below it;
 * if so the transaction turns around there and descends to the function
 * whose BAR decodes it:
 *
 *      initiator -> DSP0 -> USP (window claims) -> DSP1 -> target BAR
 *
 * ACS redirect (RR, CR or EC) on any port from the initiator up to the turn
 * and down to the target sends it on up to the root complex instead: the
 * set of ports is the kernel's (calc_map_type_and_dist counts the same
 * ones), so a route and a verdict never disagree.  At the root complex the
 * initiator's IOMMU translates the address, then the host bridge delivers
 * it to RAM, or to a BAR below any root port where the platform allows P2P
 * through the host bridge (cpu_supports_p2pdma() or the allow-list, as for
 * the verdict).  Anything else is an unsupported request.
 */
#include <errno.h>
#include <string.h>

#include "platform_internal.h"
#include "../fabric/verdict_internal.h"

static void push(struct pdma_route *r, int hop)
{
	if (r->nr_hops < PDMA_ROUTE_MAX_HOPS)
		r->hops[r->nr_hops++] = hop;
}

static bool in_window(const struct plat_func *w, uint64_t a)
{
	return (a >= w->mem_base && a < w->mem_limit) ||
	       (a >= w->pref_base && a < w->pref_limit);
}

/* The BAR of @func that decodes bus address @a, or NULL. */
static const struct plat_bar *own_bar(const struct pdma_platform *plat,
				      int func, uint64_t a)
{
	for (int i = 0; i < 6; i++) {
		int k = plat->funcs[func].bars[i];

		if (k >= 0 && a >= plat->bars[k].bus &&
		    a - plat->bars[k].bus < plat->bars[k].size)
			return &plat->bars[k];
	}
	return NULL;
}

static bool redir(const struct pdma_platform *plat, int idx)
{
	return pdma__acs_redirects(&plat->fab->funcs[idx].info);
}

/* Fill the target fields for BAR @b at offset @off, checking the length. */
static void hit_bar(struct pdma_route *r, const struct plat_bar *b,
		    uint64_t off, uint64_t len)
{
	r->kind = PDMA_TARGET_BAR;
	r->func = b->func;
	r->bar = b->bar;
	r->offset = off;
	r->len = len;
	if (off + len > b->size || off + len < off)
		r->status = PDMA_TLP_BEYOND_BAR;
	else if (off + len > b->backed)
		r->status = PDMA_TLP_BEYOND_BAR;
}

/*
 * Below the root complex: does a bridge on the way up claim @addr, and can
 * the transaction turn there?  Returns true with the route filled when it
 * is delivered below the root complex; false when it must go up (nothing
 * claimed it, or ACS redirects it; r->redirected says which).
 */
static bool route_below(struct pdma_platform *plat, int ini, uint64_t addr,
			uint64_t len, struct pdma_route *r)
{
	const struct pdma_fabric *fab = plat->fab;
	const struct plat_bar *b = own_bar(plat, ini, addr);
	int node = ini, turn = PDMA_NONE, acs = redir(plat, ini);

	if (b) {
		turn = ini;
	} else {
		for (;;) {
			int p = fab->funcs[node].info.parent;

			if (p == PDMA_NONE)
				break;
			push(r, p);
			acs += redir(plat, p);
			if (in_window(&plat->funcs[p], addr)) {
				turn = p;
				break;
			}
			node = p;
		}
	}
	if (turn == PDMA_NONE)
		return false;

	/* Descend from the turn to the function whose BAR decodes it. */
	node = turn;
	while (!b) {
		int next = PDMA_NONE;

		for (int c = fab->funcs[node].first_child; c >= 0;
		     c = fab->funcs[c].next_sibling) {
			if (pdma_fabric_is_bridge(&fab->funcs[c].info) ?
				    in_window(&plat->funcs[c], addr) :
				    own_bar(plat, c, addr) != NULL) {
				next = c;
				break;
			}
		}
		if (next == PDMA_NONE) {
			/* A window claims it, but nothing below decodes it. */
			r->status = PDMA_TLP_UNSUPPORTED;
			r->turn = turn;
			return true;
		}
		push(r, next);
		acs += redir(plat, next);
		node = next;
		b = own_bar(plat, node, addr);
		if (!b && !pdma_fabric_is_bridge(&fab->funcs[node].info)) {
			r->status = PDMA_TLP_UNSUPPORTED;
			r->turn = turn;
			return true;
		}
	}
	if (acs) {
		r->redirected = true;
		return false;
	}
	r->turn = turn;
	hit_bar(r, b, addr - b->bus, len);
	return true;
}

/* pci_p2pdma's rule for crossing the root complex, for the router. */
static bool host_bridge_routes_p2p(const struct pdma_platform *plat, int ha,
				   int hb)
{
	const struct pdma_fabric *fab = plat->fab;

	if (pdma__cpu_supports_p2pdma(fab))
		return true;
	if (ha == hb)
		return pdma__hb_status(fab, ha, true) == PDMA_HB_OK;
	return pdma__hb_status(fab, ha, false) == PDMA_HB_OK &&
	       pdma__hb_status(fab, hb, false) == PDMA_HB_OK;
}

static void route_root_complex(struct pdma_platform *plat, int ini,
			       uint64_t addr, uint64_t len, bool write,
			       struct pdma_route *r)
{
	const struct pdma_fabric *fab = plat->fab;
	const struct pdma_func *f = &fab->funcs[ini];
	const struct plat_bar *b;
	uint64_t phys = addr, contig = len;
	int hi = f->info.host_bridge, ht;

	/* The hops: the initiator's whole chain, then its host bridge. */
	r->nr_hops = 0;
	r->turn = PDMA_NONE;
	for (int k = 0; k <= f->info.depth; k++)
		push(r, f->chain[k]);
	push(r, -(hi + 1));
	r->via_host_bridge = true;

	if (plat->iommu.translate) {
		int ret = plat->iommu.translate(plat->iommu_ctx, ini, addr, len,
						write, &phys, &contig);

		if (ret == -ENODEV) {
			phys = addr;
			contig = len;
		} else if (ret) {
			r->status = PDMA_TLP_IOMMU_FAULT;
			return;
		} else {
			r->translated = true;
		}
	}
	if (contig < len)
		len = contig;
	r->phys = phys;
	if (phys >= plat->ram_phys && phys - plat->ram_phys < plat->ram_size) {
		r->kind = PDMA_TARGET_RAM;
		r->offset = phys - plat->ram_phys;
		r->len = len < plat->ram_size - r->offset ?
				 len : plat->ram_size - r->offset;
		return;
	}
	b = pdma__addrmap_find_cpu(plat, phys);
	if (!b) {
		r->status = PDMA_TLP_UNSUPPORTED;
		return;
	}
	ht = fab->funcs[b->func].info.host_bridge;
	if (!host_bridge_routes_p2p(plat, hi, ht)) {
		r->kind = PDMA_TARGET_BAR;
		r->func = b->func;
		r->bar = b->bar;
		r->status = PDMA_TLP_P2P_BLOCKED;
		return;
	}
	if (ht != hi)
		push(r, -(ht + 1));
	for (int k = fab->funcs[b->func].info.depth; k >= 0; k--)
		push(r, fab->funcs[b->func].chain[k]);
	hit_bar(r, b, phys - b->cpu, len);
}

int pdma_platform_resolve(struct pdma_platform *plat, int initiator,
			  uint64_t addr, uint64_t len, bool write,
			  struct pdma_route *r)
{
	const struct pdma_fabric *fab = plat->fab;

	memset(r, 0, sizeof(*r));
	r->func = r->bar = PDMA_NONE;
	r->turn = PDMA_NONE;
	if (initiator < 0 || initiator >= fab->nr_funcs || !len ||
	    addr + len < addr)
		return -EINVAL;
	push(r, initiator);
	if (route_below(plat, initiator, addr, len, r))
		return 0;
	route_root_complex(plat, initiator, addr, len, write, r);
	return 0;
}
