/* SPDX-License-Identifier: MIT */
/*
 * Turn a preset table into a finalized fabric.
 *
 * Besides copying rows, the builder derives what a real machine's firmware
 * and kernel would: BAR addresses (each BAR naturally aligned in its host
 * bridge's 32-bit or 64-bit prefetchable window), NUMA nodes (those of the
 * host bridges) and IOMMU groups, with the rule the kernel's
 * pci_device_group() follows: a function shares the group of the highest
 * bridge below which requests are not isolated by ACS (SV, RR, CR and UF
 * enabled on every port up to the root), and functions of one
 * multifunction device without ACS share a group (the kernel marks every
 * function of such a slot multifunction).  On the kernel fixtures d2 and
 * d3 that rule gives exactly the groups the kernel made.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "preset.h"

#define ISOLATING (PDMA_ACS_SV | PDMA_ACS_RR | PDMA_ACS_CR | PDMA_ACS_UF)

struct build {
	const struct preset_machine *m;
	int *parent;		/* row index of the upstream bridge, or -1 */
	int *hb;		/* index into m->hbs */
	int *group;		/* IOMMU group id, or -1 */
	uint64_t *cur32, *cur64;	/* per host bridge window cursors */
};

static bool is_bridge(const struct preset_row *r)
{
	return r->kind != PK_EP;
}

static uint16_t row_acs_ctrl(const struct preset_row *r)
{
	return (r->flags & PF_ACS_ON) == PF_ACS_ON ? ISOLATING : 0;
}

/* pci_acs_enabled() for the flags pci_device_group() asks for. */
static bool acs_isolates(const struct preset_row *r)
{
	if ((r->kind == PK_EP || r->kind == PK_USP) && !(r->flags & PF_MF))
		return true;	/* ACS does not apply to single functions */
	return (r->flags & PF_ACS) && row_acs_ctrl(r) == ISOLATING;
}

static bool path_isolates(const struct build *b, int r)
{
	for (; r >= 0; r = b->parent[r])
		if (!acs_isolates(&b->m->rows[r]))
			return false;
	return true;
}

static int link_rows(struct build *b, struct pdma_error *err)
{
	const struct preset_machine *m = b->m;

	for (int i = 0; i < m->nr_rows; i++) {
		const struct preset_row *r = &m->rows[i];
		int top = i, depth = 0;

		b->parent[i] = -1;
		for (int j = 0; j < m->nr_rows; j++)
			if (is_bridge(&m->rows[j]) && m->rows[j].sec == r->bus &&
			    j != i)
				b->parent[i] = j;
		while (b->parent[top] >= 0 && depth++ < m->nr_rows)
			top = b->parent[top];
		b->hb[i] = -1;
		for (int h = 0; h < m->nr_hbs; h++)
			if (m->hbs[h].bus == m->rows[top].bus)
				b->hb[i] = h;
		if (b->hb[i] < 0) {
			pdma__err(err,
				  "preset \"%s\": 0000:%02x:%02x.%x sits on bus %02x, which no host bridge of the table owns",
				  m->name, r->bus, r->dev, r->fn,
				  m->rows[top].bus);
			return -EINVAL;
		}
	}
	return 0;
}

static void assign_groups(struct build *b)
{
	const struct preset_machine *m = b->m;
	int *rep_of = b->group, next = 0;
	int *ids = malloc(sizeof(int) * (size_t)m->nr_rows);

	for (int i = 0; i < m->nr_rows; i++) {
		int x = i;

		rep_of[i] = -1;
		if (!m->iommu)
			continue;
		while (b->parent[x] >= 0 && !path_isolates(b, b->parent[x]))
			x = b->parent[x];
		/* Functions of one device without ACS: the lowest one. */
		if ((m->rows[x].flags & PF_MF) && !acs_isolates(&m->rows[x]))
			for (int j = 0; j < m->nr_rows; j++)
				if (m->rows[j].bus == m->rows[x].bus &&
				    m->rows[j].dev == m->rows[x].dev &&
				    (m->rows[j].flags & PF_MF)) {
					x = j;
					break;
				}
		rep_of[i] = x;
	}
	/* Number the groups in table order. */
	if (!ids) {
		for (int i = 0; i < m->nr_rows; i++)
			rep_of[i] = -1;
		return;
	}
	for (int i = 0; i < m->nr_rows; i++)
		ids[i] = -1;
	for (int i = 0; i < m->nr_rows; i++) {
		int x = rep_of[i];

		if (x < 0)
			continue;
		if (ids[x] < 0)
			ids[x] = next++;
		rep_of[i] = ids[x];
	}
	free(ids);
}

static void fill_bars(struct build *b, int i, struct pdma_func_info *fi)
{
	const struct preset_dev *t = b->m->rows[i].type;
	int h = b->hb[i];

	for (int k = 0; k < 3 && t->bars[k].size; k++) {
		const struct preset_bar *pb = &t->bars[k];
		bool high = (pb->flags & PDMA_BAR_64) &&
			    (pb->flags & PDMA_BAR_PREFETCH);
		uint64_t *cur = high ? &b->cur64[h] : &b->cur32[h];
		uint64_t addr = (*cur + pb->size - 1) & ~(pb->size - 1);

		fi->bars[pb->slot].addr = addr;
		fi->bars[pb->slot].size = pb->size;
		fi->bars[pb->slot].flags = pb->flags;
		*cur = addr + pb->size;
	}
}

static void fill_func(struct build *b, int i, struct pdma_func_info *fi)
{
	const struct preset_row *r = &b->m->rows[i];
	const struct preset_dev *t = r->type;
	bool root_bus = b->parent[i] < 0;

	memset(fi, 0, sizeof(*fi));
	fi->bus = r->bus;
	fi->dev = r->dev;
	fi->fn = r->fn;
	fi->vendor = t->vendor;
	fi->device = t->device;
	fi->subsys_vendor = t->subsys_vendor ? t->subsys_vendor : t->vendor;
	fi->subsys_device = t->subsys_device ? t->subsys_device : t->device;
	fi->revision = t->revision;
	fi->class_code = t->class_code;
	fi->multifunction = r->flags & PF_MF;
	fi->header_type = (is_bridge(r) ? 1 : 0) | (fi->multifunction ? 0x80 : 0);
	switch (r->kind) {
	case PK_RP:
		fi->pcie_type = PDMA_PCIE_ROOT_PORT;
		break;
	case PK_USP:
		fi->pcie_type = PDMA_PCIE_UPSTREAM;
		break;
	case PK_DSP:
		fi->pcie_type = PDMA_PCIE_DOWNSTREAM;
		break;
	default:
		/* Chipset functions without a PCIe capability: no link. */
		if (t->conventional)
			fi->pcie_type = PDMA_PCIE_NONE;
		else
			fi->pcie_type = root_bus ? PDMA_PCIE_RC_INTEGRATED :
						   PDMA_PCIE_ENDPOINT;
	}
	fi->secondary_bus = r->sec;
	fi->subordinate_bus = r->sub;
	fill_bars(b, i, fi);
	fi->link_max = t->link_max;
	fi->link_cur = r->link.gen ? r->link : t->link_max;
	fi->numa_node = b->m->hbs[b->hb[i]].numa_node;
	snprintf(fi->driver, sizeof(fi->driver), "%s",
		 t->driver ? t->driver : "");
	if (t->cmb) {
		fi->p2pmem.present = true;
		fi->p2pmem.size = t->cmb;
		fi->p2pmem.available = t->cmb;
		fi->p2pmem.published = true;
	}
	fi->acs_known = true;
	if (r->flags & PF_ACS) {
		fi->has_acs = true;
		fi->acs_cap = t->acs_cap;
		fi->acs_ctrl = row_acs_ctrl(r);
	}
	fi->iommu_group = b->group[i];
	fi->parent = PDMA_AUTO;
	fi->host_bridge = PDMA_AUTO;
	snprintf(fi->name, sizeof(fi->name), "%s", t->name);
}

static int add_all(struct build *b, struct pdma_fabric *fab,
		   struct pdma_error *err)
{
	const struct preset_machine *m = b->m;
	struct pdma_platform_info pi;
	int ret;

	for (int h = 0; h < m->nr_hbs; h++) {
		struct pdma_host_bridge_info hb;

		memset(&hb, 0, sizeof(hb));
		hb.bus = m->hbs[h].bus;
		hb.numa_node = m->hbs[h].numa_node;
		snprintf(hb.firmware_path, sizeof(hb.firmware_path), "%s",
			 m->hbs[h].firmware_path);
		ret = pdma_fabric_add_host_bridge(fab, &hb, NULL);
		if (ret)
			goto err;
		b->cur32[h] = m->hbs[h].mmio32;
		b->cur64[h] = m->hbs[h].mmio64;
	}
	for (int i = 0; i < m->nr_rows; i++) {
		struct pdma_func_info fi;

		fill_func(b, i, &fi);
		ret = pdma_fabric_add_func(fab, &fi, NULL);
		if (ret)
			goto err;
	}
	for (int i = 0; i < m->nr_rows; i++) {
		if (b->group[i] < 0)
			continue;
		ret = pdma_fabric_set_iommu_group_type(fab, b->group[i],
						       PDMA_IOMMU_DMA);
		if (ret)
			goto err;
	}
	memset(&pi, 0, sizeof(pi));
	pi.cpu_vendor = m->cpu_vendor;
	pi.cpu_family = m->cpu_family;
	snprintf(pi.cpu_model, sizeof(pi.cpu_model), "%s", m->cpu_model);
	snprintf(pi.cpu_source, sizeof(pi.cpu_source), "preset %s", m->name);
	pi.iommu = m->iommu;
	snprintf(pi.cmdline, sizeof(pi.cmdline), "%s", m->cmdline);
	snprintf(pi.source, sizeof(pi.source), "built-in preset \"%s\"",
		 m->name);
	pdma_fabric_set_platform(fab, &pi);
	return pdma_fabric_finalize(fab, err);
err:
	pdma__err(err, "preset \"%s\": cannot build the fabric: %s", m->name,
		  strerror(-ret));
	return ret;
}

int pdma__preset_build(const struct preset_machine *m,
		       struct pdma_fabric **out, struct pdma_error *err)
{
	struct pdma_fabric *fab = NULL;
	struct build b = { .m = m };
	size_t n = (size_t)m->nr_rows, h = (size_t)m->nr_hbs;
	int ret;

	*out = NULL;
	b.parent = malloc(sizeof(int) * n);
	b.hb = malloc(sizeof(int) * n);
	b.group = malloc(sizeof(int) * n);
	b.cur32 = malloc(sizeof(uint64_t) * h);
	b.cur64 = malloc(sizeof(uint64_t) * h);
	ret = -ENOMEM;
	if (!b.parent || !b.hb || !b.group || !b.cur32 || !b.cur64) {
		pdma__err(err, "preset \"%s\": out of memory", m->name);
		goto out_free;
	}
	ret = link_rows(&b, err);
	if (ret)
		goto out_free;
	assign_groups(&b);
	ret = pdma_fabric_create(&fab);
	if (ret) {
		pdma__err(err, "preset \"%s\": out of memory", m->name);
		goto out_free;
	}
	ret = add_all(&b, fab, err);
	if (ret) {
		pdma_fabric_destroy(fab);
		goto out_free;
	}
	*out = fab;
out_free:
	free(b.parent);
	free(b.hb);
	free(b.group);
	free(b.cur32);
	free(b.cur64);
	return ret;
}
