/* SPDX-License-Identifier: MIT */
/*
 * The full answer for one pair: the kernel's walk (verdict_ref.c) turned
 * into a route, its class, the narrowest link, reasons and a fix.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <peerdma/link.h>

#include "verdict_internal.h"

static void add_reason(struct pdma_verdict *v, enum pdma_rule rule, int func,
		       int hb, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void add_reason(struct pdma_verdict *v, enum pdma_rule rule, int func,
		       int hb, const char *fmt, ...)
{
	struct pdma_reason *r;
	va_list ap;

	if (v->nr_reasons >= PDMA_MAX_REASONS)
		return;
	r = &v->reasons[v->nr_reasons++];
	r->rule = rule;
	r->func = func;
	r->host_bridge = hb;
	va_start(ap, fmt);
	vsnprintf(r->text, sizeof(r->text), fmt, ap);
	va_end(ap);
}

static const char *bdf(const struct pdma_fabric *fab, int idx, char *buf)
{
	return pdma_bdf_format(&fab->funcs[idx].info, buf, 16);
}

static void acs_bits(uint16_t ctrl, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s", ctrl & PDMA_ACS_RR ? " RR" : "",
		 ctrl & PDMA_ACS_CR ? " CR" : "",
		 ctrl & PDMA_ACS_EC ? " EC" : "");
}

static void push_hop(struct pdma_verdict *v, bool hb, int idx)
{
	v->hops[v->nr_hops].is_host_bridge = hb;
	v->hops[v->nr_hops].idx = idx;
	v->nr_hops++;
}

/*
 * Route: up the provider's chain to chain[@ka] (inclusive), then, through
 * the host bridge(s) when @via_hb, down the client's chain from chain[@kb]
 * (which, without @via_hb, is the common ancestor already pushed).
 */
static void build_route(const struct pdma_fabric *fab, struct pdma_verdict *v,
			int ka, int kb, bool via_hb)
{
	const struct pdma_func *pf = &fab->funcs[v->provider];
	const struct pdma_func *cf = &fab->funcs[v->client];

	v->bottleneck_gbps = 0;
	v->bottleneck_link = PDMA_NONE;
	for (int k = 0; k <= ka; k++)
		push_hop(v, false, pf->chain[k]);
	if (via_hb) {
		push_hop(v, true, pf->info.host_bridge);
		if (cf->info.host_bridge != pf->info.host_bridge)
			push_hop(v, true, cf->info.host_bridge);
		push_hop(v, false, cf->chain[kb]);
	}
	for (int k = kb - 1; k >= 0; k--)
		push_hop(v, false, cf->chain[k]);

	/* Links crossed: each hop's uplink below the top of each side. */
	v->modeled_gbps = 0;
	for (int side = 0; side < 2; side++) {
		const struct pdma_func *f = side ? cf : pf;
		int top = side ? kb : ka;

		for (int k = 0; k < top; k++) {
			struct pdma_link l;
			double g, m;

			if (!pdma__uplink(fab, f->chain[k], &l))
				continue;
			g = pdma_link_gbytes(l);
			m = pdma_link_data_gbps(l, NULL);
			if (v->bottleneck_link == PDMA_NONE ||
			    g < v->bottleneck_gbps) {
				v->bottleneck_gbps = g;
				v->bottleneck_link = f->chain[k];
				v->bottleneck_speed = l;
			}
			if (m > 0 && (!v->modeled_gbps || m < v->modeled_gbps))
				v->modeled_gbps = m;
		}
	}
}

/* PIX/PXB: count switches (an upstream port and its downstream ports are one). */
static enum pdma_path_class local_class(const struct pdma_fabric *fab,
					const struct pdma_verdict *v)
{
	int units[64], nr = 0;

	for (int h = 1; h < v->nr_hops - 1; h++) {
		int idx = v->hops[h].idx, unit = idx;
		const struct pdma_func_info *fi = &fab->funcs[idx].info;
		bool seen = false;

		if (fi->pcie_type == PDMA_PCIE_DOWNSTREAM && fi->parent != PDMA_NONE)
			unit = fi->parent;
		for (int u = 0; u < nr; u++)
			seen |= units[u] == unit;
		if (!seen && nr < 64)
			units[nr++] = unit;
	}
	return nr <= 1 ? PDMA_PATH_PIX : PDMA_PATH_PXB;
}

static enum pdma_path_class host_class(const struct pdma_fabric *fab, int hp,
				       int hc)
{
	int np = fab->hbs[hp].info.numa_node, nc = fab->hbs[hc].info.numa_node;

	if (hp == hc)
		return PDMA_PATH_PHB;
	if (np >= 0 && np == nc)
		return PDMA_PATH_NODE;
	return PDMA_PATH_SYS;
}

static const char *hb_root_desc(const struct pdma_fabric *fab, int hb,
				char *buf, size_t len)
{
	int rf = fab->hbs[hb].info.root_func;
	char b[16];

	if (rf == PDMA_NONE) {
		snprintf(buf, len, "%s", fab->hbs[hb].info.name);
		return buf;
	}
	snprintf(buf, len, "%s (its device %s, %04x:%04x)",
		 fab->hbs[hb].info.name, bdf(fab, rf, b),
		 fab->funcs[rf].info.vendor, fab->funcs[rf].info.device);
	return buf;
}

static void hb_reason(const struct pdma_fabric *fab, struct pdma_verdict *v,
		      int hb, enum pdma_hb_status st, char *fix, size_t fixlen)
{
	char d[160];

	hb_root_desc(fab, hb, d, sizeof(d));
	switch (st) {
	case PDMA_HB_OK:
		add_reason(v, PDMA_RULE_HB_ALLOWED, PDMA_NONE, hb,
			   "host bridge %s is on the P2PDMA allow-list", d);
		break;
	case PDMA_HB_NOT_LISTED:
		add_reason(v, PDMA_RULE_HB_NOT_LISTED,
			   fab->hbs[hb].info.root_func, hb,
			   "host bridge %s is not on the P2PDMA allow-list of %s",
			   d, pdma_rules_name(fab->rules));
		if (!fix[0])
			snprintf(fix, fixlen,
				 "host bridge %s is not allowed: place both devices below one PCIe switch (a common upstream bridge gives BUS_ADDR)",
				 d);
		break;
	case PDMA_HB_REQ_SAME:
		add_reason(v, PDMA_RULE_HB_REQ_SAME,
			   fab->hbs[hb].info.root_func, hb,
			   "host bridge %s is allowed only when both devices sit below it (REQ_SAME_HOST_BRIDGE)",
			   d);
		if (!fix[0])
			snprintf(fix, fixlen,
				 "move both devices below host bridge %s, or below one PCIe switch",
				 fab->hbs[hb].info.name);
		break;
	case PDMA_HB_NO_ROOT:
		add_reason(v, PDMA_RULE_HB_NO_ROOT_DEV, PDMA_NONE, hb,
			   "host bridge %s has no device 00.0 or root port first on its root bus, so the kernel cannot look it up",
			   d);
		if (!fix[0])
			snprintf(fix, fixlen,
				 "place both devices below one PCIe switch (a common upstream bridge gives BUS_ADDR)");
		break;
	}
}

static void cpu_reason(const struct pdma_fabric *fab, struct pdma_verdict *v)
{
	const struct pdma_platform_info *pi = &fab->platform;

	if (pdma__cpu_supports_p2pdma(fab))
		add_reason(v, PDMA_RULE_CPU_ALLOWS, PDMA_NONE, PDMA_NONE,
			   "the CPU is AMD family 0x%x (Zen or newer, from %s): the kernel allows P2P through its host bridges",
			   pi->cpu_family, pi->cpu_source[0] ? pi->cpu_source : "?");
	else if (pi->cpu_vendor == PDMA_CPU_AMD)
		add_reason(v, PDMA_RULE_CPU_TOO_OLD, PDMA_NONE, PDMA_NONE,
			   "the CPU is AMD family 0x%x (from %s), older than Zen (0x17): the CPU rule does not allow it",
			   pi->cpu_family, pi->cpu_source[0] ? pi->cpu_source : "?");
	else
		add_reason(v, PDMA_RULE_CPU_NOT_AMD, PDMA_NONE, PDMA_NONE,
			   "the CPU (%s, from %s) is not AMD Zen: only the host-bridge allow-list can allow it",
			   pi->cpu_vendor == PDMA_CPU_INTEL ? "Intel" :
			   pi->cpu_vendor == PDMA_CPU_UNKNOWN ? "unknown" : "not x86 AMD",
			   pi->cpu_source[0] ? pi->cpu_source : "?");
}

/* Functions the walk looked at whose ACS could not be read. */
static void acs_unknown_reason(const struct pdma_fabric *fab,
			       struct pdma_verdict *v, int ka, int kb)
{
	char b[16];

	for (int side = 0; side < 2; side++) {
		const struct pdma_func *f = &fab->funcs[side ? v->client :
							     v->provider];
		int top = side ? kb - 1 : ka;

		for (int k = 0; k <= top; k++) {
			int idx = f->chain[k];

			if (fab->funcs[idx].info.acs_known)
				continue;
			add_reason(v, PDMA_RULE_ACS_UNKNOWN, idx, PDMA_NONE,
				   "ACS of %s could not be read (config space past 256 bytes needs root): redirect assumed off, so BUS_ADDR may really be THRU_HOST_BRIDGE",
				   bdf(fab, idx, b));
			return;
		}
	}
}

int pdma_verdict_explain(struct pdma_fabric *fab, int provider, int client,
			 struct pdma_verdict *v)
{
	const struct pdma_func *pf, *cf;
	struct pdma_kwalk walk;
	char b1[16], b2[16];
	enum pdma_map_type t;
	int dist, ka, kb;

	memset(v, 0, sizeof(*v));
	if (!fab->finalized || provider < 0 || provider >= fab->nr_funcs ||
	    client < 0 || client >= fab->nr_funcs ||
	    pdma_fabric_is_bridge(&fab->funcs[provider].info) ||
	    pdma_fabric_is_bridge(&fab->funcs[client].info))
		return -EINVAL;
	pf = &fab->funcs[provider];
	cf = &fab->funcs[client];
	v->provider = provider;
	v->client = client;
	v->ancestor = PDMA_NONE;
	v->hops = malloc(sizeof(*v->hops) *
			 (size_t)(pf->info.depth + cf->info.depth + 4));
	if (!v->hops)
		return -ENOMEM;
	t = pdma__kernel_calc(fab, provider, client, &dist, &walk);
	if (!walk.offenders) {
		free(v->hops);
		v->hops = NULL;
		return -ENOMEM;
	}
	v->map_type = t;
	v->raw_distance = dist;
	v->distance = t == PDMA_MAP_NOT_SUPPORTED ? -1 : dist;
	v->ancestor = walk.ancestor;

	if (walk.ancestor != PDMA_NONE && !walk.nr_offenders) {
		/* BUS_ADDR: the TLPs turn around at the common bridge. */
		ka = walk.dist_a;
		kb = walk.dist_b;
		build_route(fab, v, ka, kb, false);
		v->path_class = provider == client ? PDMA_PATH_X :
						     local_class(fab, v);
		acs_unknown_reason(fab, v, ka, kb);
		free(walk.offenders);
		return 0;
	}

	/* Through the root complex: the whole chain up on both sides. */
	ka = pf->info.depth;
	kb = cf->info.depth;
	build_route(fab, v, ka, kb, true);
	v->path_class = host_class(fab, pf->info.host_bridge,
				   cf->info.host_bridge);

	if (walk.ancestor != PDMA_NONE) {
		size_t len = 0;

		len += (size_t)snprintf(v->fix, sizeof(v->fix),
					"boot with pci=disable_acs_redir=");
		for (int i = 0; i < walk.nr_offenders; i++) {
			int o = walk.offenders[i];
			char bits[16];

			acs_bits(fab->funcs[o].info.acs_ctrl, bits, sizeof(bits));
			add_reason(v, PDMA_RULE_ACS_REDIRECT, o, PDMA_NONE,
				   "ACS redirect (%s) is set on %s (%s, %s), where the path %s: requests are sent up to the root complex",
				   bits + 1, bdf(fab, o, b1),
				   fab->funcs[o].info.label,
				   pdma_role_name(fab->funcs[o].info.role),
				   o == walk.ancestor ? "turns around" : "passes");
			if (len < sizeof(v->fix))
				len += (size_t)snprintf(v->fix + len,
							sizeof(v->fix) - len,
							"%s%s", i ? ";" : "",
							bdf(fab, o, b2));
		}
		if (len < sizeof(v->fix))
			snprintf(v->fix + len, sizeof(v->fix) - len,
				 " to get BUS_ADDR (it merges IOMMU groups: less isolation)%s",
				 13 * walk.nr_offenders > 127 ?
					 "; the kernel's own 128-byte hint truncates this list" :
					 "");
	} else {
		char top_a[16], top_b[16];

		bdf(fab, pf->chain[ka], top_a);
		bdf(fab, cf->chain[kb], top_b);
		add_reason(v, PDMA_RULE_NO_COMMON_BRIDGE, PDMA_NONE,
			   pf->info.host_bridge,
			   "%s and %s share no upstream bridge (their paths end at %s on bus %02x and %s on bus %02x): the route crosses the root complex",
			   bdf(fab, provider, b1), bdf(fab, client, b2), top_a,
			   pf->info.bus == fab->funcs[pf->chain[ka]].info.bus ?
				   pf->info.bus :
				   fab->funcs[pf->chain[ka]].info.bus,
			   top_b, fab->funcs[cf->chain[kb]].info.bus);
	}

	cpu_reason(fab, v);
	if (!walk.cpu_ok) {
		hb_reason(fab, v, pf->info.host_bridge, walk.hb_p, v->fix,
			  sizeof(v->fix));
		if (walk.hb_p == PDMA_HB_OK && !walk.same_hb)
			hb_reason(fab, v, cf->info.host_bridge, walk.hb_c,
				  v->fix, sizeof(v->fix));
	}
	if (t == PDMA_MAP_THRU_HOST_BRIDGE && cf->info.iommu_group >= 0) {
		switch (pdma_fabric_iommu_group_type(fab, cf->info.iommu_group)) {
		case PDMA_IOMMU_DMA:
		case PDMA_IOMMU_UNMANAGED:
			add_reason(v, PDMA_RULE_IOMMU_TRANSLATES, client,
				   PDMA_NONE,
				   "%s's DMA is translated by its IOMMU domain (group %d): the peer memory is mapped with an IOVA",
				   bdf(fab, client, b1), cf->info.iommu_group);
			break;
		case PDMA_IOMMU_BLOCKED:
			/* The kernel's verdict stands; the DMA API refuses. */
			add_reason(v, PDMA_RULE_IOMMU_BLOCKS, client, PDMA_NONE,
				   "%s's IOMMU group %d is blocked: none of its DMA passes the root complex, so this mapping fails although the kernel's map type allows it",
				   bdf(fab, client, b1), cf->info.iommu_group);
			break;
		default:
			break;
		}
	}
	if (t == PDMA_MAP_THRU_HOST_BRIDGE && walk.ancestor == PDMA_NONE &&
	    !v->fix[0])
		snprintf(v->fix, sizeof(v->fix),
			 "allowed through the root complex; a common PCIe switch would give BUS_ADDR and keep the traffic off it");
	free(walk.offenders);
	return 0;
}

void pdma_verdict_release(struct pdma_verdict *v)
{
	if (!v)
		return;
	free(v->hops);
	v->hops = NULL;
	v->nr_hops = 0;
}
