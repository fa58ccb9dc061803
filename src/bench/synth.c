// SPDX-License-Identifier: MIT
/*
 * bench: synthetic PCIe fabrics (see synth.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/synth.h"

struct synth_ctx {
	const struct synth_params *sp;
	uint64_t rng;
	struct pdma_func_info *f;	/* functions, in insertion order */
	int nr, cap;
	int budget;		/* endpoints still to place on this bridge */
	uint16_t domain;
	int numa;		/* NUMA node of this host bridge */
	int next_bus, last_bus;	/* bus numbers of this host bridge */
	bool oom;
};

/* Root-device ids: on the lists, newer lists only, on no list. */
static const uint16_t synth_root_ids[][2] = {
	{ 0x8086, 0x3c00 }, { 0x8086, 0x3c01 }, { 0x8086, 0x2f00 },
	{ 0x8086, 0x2f01 }, { 0x8086, 0x2030 }, { 0x8086, 0x2031 },
	{ 0x8086, 0x2032 }, { 0x8086, 0x2033 }, { 0x8086, 0x2020 },
	{ 0x8086, 0x09a2 }, { 0x8086, 0x09a2 }, { 0x8086, 0x09a2 },
	{ 0x8086, 0x0b25 }, { 0x8086, 0x0cfe }, { 0x8086, 0x11fb },
	{ 0x8086, 0x1212 }, { 0x8086, 0x1216 }, { 0x8086, 0x4940 },
	{ 0x8086, 0x4942 }, { 0x8086, 0x4944 }, { 0x8086, 0x4946 },
	{ 0x8086, 0x4948 }, { 0x10de, 0x2f95 }, { 0x10de, 0x2f98 },
	{ 0x1ae0, 0x0042 }, { 0x1ae0, 0xabcd },
	{ 0x8086, 0x29c0 }, { 0x8086, 0x29c0 }, { 0x1022, 0x1480 },
	{ 0x1022, 0x14a4 }, { 0x8086, 0x4660 }, { 0x1b36, 0x0008 },
};

static const uint32_t synth_classes[] = {
	0x030200, 0x030000, 0x010802, 0x010802, 0x020000, 0x020700,
	0x120000, 0x0b4000, 0x050000, 0x088000,
};

static const uint16_t synth_acs_ctrls[] = {
	0x0000, 0x001d, 0x0004, 0x0008, 0x0020, 0x0011, 0x0002, 0x0040,
	0x005f, 0x0001, 0x0010, 0x003f,
};

static int synth_push(struct synth_ctx *c, uint8_t bus, uint8_t dev,
		      uint8_t fn, int parent)
{
	struct pdma_func_info *fi;

	if (c->nr == c->cap) {
		int ncap = c->cap ? 2 * c->cap : 256;
		struct pdma_func_info *nf =
			realloc(c->f, sizeof(*nf) * (size_t)ncap);

		if (!nf) {
			c->oom = true;
			return -1;
		}
		c->f = nf;
		c->cap = ncap;
	}
	fi = &c->f[c->nr];
	memset(fi, 0, sizeof(*fi));
	fi->domain = c->domain;
	fi->bus = bus;
	fi->dev = dev;
	fi->fn = fn;
	fi->vendor = 0x1234;
	fi->device = 0x5678;
	fi->pcie_type = PDMA_PCIE_ENDPOINT;
	fi->numa_node = c->numa;
	fi->iommu_group = -1;
	fi->acs_known = true;
	fi->parent = parent;
	fi->host_bridge = PDMA_AUTO;
	fi->link_cur.gen = fi->link_max.gen = 1 + synth_below(&c->rng, 5);
	fi->link_cur.width = fi->link_max.width = 1 << synth_below(&c->rng, 5);
	snprintf(fi->name, sizeof(fi->name), "synthetic");
	return c->nr++;
}

static void synth_acs(struct synth_ctx *c, int idx, int pct)
{
	if (idx < 0 || !synth_pct(&c->rng, pct))
		return;
	c->f[idx].has_acs = true;
	c->f[idx].acs_cap = 0x7f;
	c->f[idx].acs_ctrl = synth_acs_ctrls[synth_below(
		&c->rng, sizeof(synth_acs_ctrls) / sizeof(synth_acs_ctrls[0]))];
}

static int synth_endpoint(struct synth_ctx *c, uint8_t bus,
			  uint8_t dev, uint8_t fn, int parent, bool mf)
{
	int i = synth_push(c, bus, dev, fn, parent);

	if (i < 0)
		return i;
	c->f[i].class_code = synth_classes[synth_below(
		&c->rng, sizeof(synth_classes) / sizeof(synth_classes[0]))];
	c->f[i].multifunction = mf;
	if (parent == PDMA_NONE)
		c->f[i].pcie_type = PDMA_PCIE_RC_INTEGRATED;
	synth_acs(c, i, c->sp->acs_pct / 4);
	c->budget--;
	return i;
}

static int synth_bridge(struct synth_ctx *c, uint8_t bus, uint8_t dev,
			uint8_t fn, int parent, int type)
{
	int i;

	if (c->next_bus > c->last_bus)
		return -1;
	i = synth_push(c, bus, dev, fn, parent);
	if (i < 0)
		return i;
	c->f[i].header_type = 1;
	c->f[i].class_code = 0x060400;
	c->f[i].pcie_type = type;
	c->f[i].secondary_bus = (uint8_t)c->next_bus++;
	synth_acs(c, i, c->sp->acs_pct);
	return i;
}

/* A device on @bus below @parent: one function, several, or many. */
static void synth_leaf(struct synth_ctx *c, int parent, uint8_t bus)
{
	int kind = synth_below(&c->rng, 100);

	if (c->budget <= 0)
		return;
	if (kind < c->sp->sriov_pct) {
		int n = 4 + synth_below(&c->rng, 29);

		for (int k = 0; k < n && k < 256 && c->budget > 0; k++)
			synth_endpoint(c, bus, (uint8_t)(k / 8), (uint8_t)(k % 8),
				       parent, true);
	} else if (kind < c->sp->sriov_pct + c->sp->mf_pct) {
		/* Function 0 and a random subset of 1-7. */
		unsigned mask = 1u | (unsigned)synth_below(&c->rng, 256);

		for (int fn = 0; fn < 8 && c->budget > 0; fn++)
			if (mask & (1u << fn))
				synth_endpoint(c, bus, 0, (uint8_t)fn, parent,
					       true);
	} else {
		synth_endpoint(c, bus, 0, 0, parent, false);
	}
}

/* Whatever sits below port @port, whose secondary bus is @bus. */
static void synth_below_port(struct synth_ctx *c, int port, int level)
{
	uint8_t bus = c->f[port].secondary_bus;
	int r = synth_below(&c->rng, 100), usp, ndsp;

	if (level >= c->sp->max_levels || r < 35 || c->budget <= 0) {
		synth_leaf(c, port, bus);
		return;
	}
	if (r < 42) {
		/* A PCIe-to-PCI bridge with a few conventional devices. */
		int br = synth_bridge(c, bus, 0, 0, port, PDMA_PCIE_PCIE_TO_PCI);

		if (br < 0)
			return;
		for (int d = 0; d < 4 && c->budget > 0; d++) {
			int e = synth_endpoint(c, c->f[br].secondary_bus,
					       (uint8_t)d, 0, br, false);

			if (e >= 0)
				c->f[e].pcie_type = PDMA_PCIE_NONE;
		}
		return;
	}
	usp = synth_bridge(c, bus, 0, 0, port, PDMA_PCIE_UPSTREAM);
	if (usp < 0)
		return;
	ndsp = 2 + synth_below(&c->rng, 7);
	for (int d = 0; d < ndsp && c->budget > 0; d++) {
		int dsp = synth_bridge(c, c->f[usp].secondary_bus, (uint8_t)d, 0,
				       usp, PDMA_PCIE_DOWNSTREAM);

		if (dsp < 0)
			break;
		synth_below_port(c, dsp, level + 1);
	}
}

/* Subordinate bus numbers: the highest bus below each bridge. */
static void synth_subordinates(struct synth_ctx *c, int from)
{
	for (int i = c->nr - 1; i >= from; i--) {
		struct pdma_func_info *fi = &c->f[i];
		uint8_t top = fi->header_type ? fi->secondary_bus : 0;

		if (fi->header_type && fi->subordinate_bus < top)
			fi->subordinate_bus = top;
		if (fi->parent != PDMA_NONE && fi->header_type) {
			struct pdma_func_info *p = &c->f[fi->parent];

			if (p->subordinate_bus < fi->subordinate_bus)
				p->subordinate_bus = fi->subordinate_bus;
		}
	}
}

static void synth_root_bus(struct synth_ctx *c, uint8_t root)
{
	int style = synth_below(&c->rng, 10), id, i, first_dev = 1;
	int nids = (int)(sizeof(synth_root_ids) / sizeof(synth_root_ids[0]));

	/* Entries 4-11 of the table: listed, without REQ_SAME_HOST_BRIDGE. */
	id = synth_pct(&c->rng, c->sp->listed_pct) ? 4 + synth_below(&c->rng, 8) :
						     synth_below(&c->rng, nids);
	if (style < 4) {
		/* Host-bridge function or system peripheral at 00.0. */
		i = synth_push(c, root, 0, 0, PDMA_NONE);
		if (i < 0)
			return;
		c->f[i].class_code = style < 2 ? 0x060000 : 0x088000;
		c->f[i].pcie_type = style < 2 ? PDMA_PCIE_NONE :
						PDMA_PCIE_RC_INTEGRATED;
		c->f[i].vendor = synth_root_ids[id][0];
		c->f[i].device = synth_root_ids[id][1];
	} else if (style < 6) {
		/* A root port at 00.0 (Skylake-E style) or first at 01.0. */
		i = synth_bridge(c, root, style == 4 ? 0 : 1, 0, PDMA_NONE,
				 PDMA_PCIE_ROOT_PORT);
		if (i < 0)
			return;
		c->f[i].vendor = synth_root_ids[id][0];
		c->f[i].device = synth_root_ids[id][1];
		synth_below_port(c, i, 0);
		first_dev = 2;
	} else if (style < 7) {
		/* An RCiEP first, not at 00.0: the kernel finds no root. */
		synth_endpoint(c, root, 1, 0, PDMA_NONE, false);
		first_dev = 2;
	}
	/* else: the first function is whatever comes below. */
	if (synth_pct(&c->rng, c->sp->rciep_pct)) {
		int n = 1 + synth_below(&c->rng, 4);

		for (int k = 0; k < n && c->budget > 0; k++)
			synth_endpoint(c, root, (uint8_t)(0x10 + k / 2),
				       (uint8_t)(k % 2), PDMA_NONE, true);
	}
	for (int dev = first_dev; dev < 0x10 && c->budget > 0; dev++) {
		/* Sometimes a bank of root ports in one device. */
		int nfn = synth_pct(&c->rng, 20) ? 2 + synth_below(&c->rng, 6) : 1;

		for (int fn = 0; fn < nfn && c->budget > 0; fn++) {
			int rp = synth_bridge(c, root, (uint8_t)dev, (uint8_t)fn,
					      PDMA_NONE, PDMA_PCIE_ROOT_PORT);

			if (rp < 0)
				return;
			c->f[rp].multifunction = nfn > 1;
			c->f[rp].vendor = 0x8086;
			c->f[rp].device = 0x352a;
			synth_below_port(c, rp, 0);
		}
	}
}

static void synth_platform(struct synth_ctx *c,
			   struct pdma_platform_info *pi)
{
	static const struct {
		enum pdma_cpu_vendor v;
		int family;
	} cpus[] = {
		{ PDMA_CPU_INTEL, 6 }, { PDMA_CPU_INTEL, 6 },
		{ PDMA_CPU_AMD, 0x15 }, { PDMA_CPU_AMD, 0x16 },
		{ PDMA_CPU_AMD, 0x17 }, { PDMA_CPU_AMD, 0x19 },
		{ PDMA_CPU_UNKNOWN, -1 }, { PDMA_CPU_OTHER, 0x19 },
	};
	int k = synth_below(&c->rng, 8);

	memset(pi, 0, sizeof(*pi));
	pi->cpu_vendor = c->sp->random_platform ? cpus[k].v : PDMA_CPU_INTEL;
	pi->cpu_family = c->sp->random_platform ? cpus[k].family : 6;
	snprintf(pi->cpu_source, sizeof(pi->cpu_source), "synthetic");
	snprintf(pi->source, sizeof(pi->source), "synthetic seed %llu",
		 (unsigned long long)c->sp->seed);
}

int pdma__synth_build(const struct synth_params *sp, struct pdma_fabric **out,
		      struct pdma_error *err)
{
	struct synth_ctx c = { .sp = sp, .rng = sp->seed };
	struct pdma_platform_info pi;
	struct pdma_fabric *fab;
	int ret, per_hb = sp->endpoints / (sp->nr_hbs > 0 ? sp->nr_hbs : 1);
	int span = 256 / (sp->nr_hbs > 0 ? sp->nr_hbs : 1);

	*out = NULL;
	for (int h = 0; h < sp->nr_hbs; h++) {
		int from = c.nr;
		uint8_t root = sp->domains ? 0 : (uint8_t)(h * span);

		c.domain = sp->domains ? (uint16_t)h : 0;
		c.numa = sp->nr_hbs > 1 ? h % 2 : -1;
		c.next_bus = root + 1;
		c.last_bus = sp->domains ? 255 : root + span - 1;
		c.budget = per_hb + (h == 0 ? sp->endpoints % sp->nr_hbs : 0);
		synth_root_bus(&c, root);
		synth_subordinates(&c, from);
		if (c.oom)
			break;
	}
	ret = c.oom ? -ENOMEM : pdma_fabric_create(&fab);
	if (ret) {
		free(c.f);
		return ret;
	}
	for (int i = 0; i < c.nr && !ret; i++)
		ret = pdma_fabric_add_func(fab, &c.f[i], NULL);
	free(c.f);
	synth_platform(&c, &pi);
	pdma_fabric_set_platform(fab, &pi);
	if (sp->random_platform && synth_pct(&c.rng, 50))
		pdma_fabric_set_rules(fab, PDMA_RULES_LATEST);
	if (!ret)
		ret = pdma_fabric_finalize(fab, err);
	if (ret) {
		pdma_fabric_destroy(fab);
		return ret;
	}
	*out = fab;
	return 0;
}

