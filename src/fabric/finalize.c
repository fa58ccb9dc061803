/* SPDX-License-Identifier: MIT */
/*
 * Finalizing a fabric: resolve upstream bridges and host bridges, check
 * what a source gave (unique addresses and labels, parents that are bridges
 * whose secondary bus holds their children, no loops), sort functions in
 * the kernel's order and derive what the model computes itself: chains,
 * depths, the parent-before-child order, roles, labels, multifunction slots
 * and each host bridge's root device for the allow-list.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

bool pdma_fabric_is_bridge(const struct pdma_func_info *fi)
{
	return (fi->header_type & 0x7f) == 1 || (fi->header_type & 0x7f) == 2;
}

static enum pdma_role derive_role(const struct pdma_func_info *fi)
{
	unsigned base = fi->class_code >> 16, sub = (fi->class_code >> 8) & 0xff;

	if (pdma_fabric_is_bridge(fi)) {
		switch (fi->pcie_type) {
		case PDMA_PCIE_ROOT_PORT:
			return PDMA_ROLE_ROOT_PORT;
		case PDMA_PCIE_UPSTREAM:
			return PDMA_ROLE_SWITCH_UP;
		case PDMA_PCIE_DOWNSTREAM:
			return PDMA_ROLE_SWITCH_DOWN;
		default:
			return PDMA_ROLE_PCI_BRIDGE;
		}
	}
	switch (base) {
	case 0x01:
		return sub == 0x08 ? PDMA_ROLE_NVME : PDMA_ROLE_STORAGE;
	case 0x02:
		return PDMA_ROLE_NIC;
	case 0x03:
		return PDMA_ROLE_GPU;
	case 0x05:
		return PDMA_ROLE_MEMORY;
	case 0x06:
		if (sub == 0x00)
			return PDMA_ROLE_HOST_BRIDGE;
		if (sub == 0x01)
			return PDMA_ROLE_ISA_BRIDGE;
		return PDMA_ROLE_OTHER;
	case 0x0b:
		return sub == 0x40 ? PDMA_ROLE_ACCEL : PDMA_ROLE_OTHER;
	case 0x0c:
		return sub == 0x06 ? PDMA_ROLE_NIC : PDMA_ROLE_SERIAL_BUS;
	case 0x10:
	case 0x12:
		return PDMA_ROLE_ACCEL;
	default:
		return PDMA_ROLE_OTHER;
	}
}

static const struct {
	const char *name;
	const char *prefix;
} role_tab[PDMA_ROLE__COUNT] = {
	[PDMA_ROLE_OTHER] = { "device", "dev" },
	[PDMA_ROLE_HOST_BRIDGE] = { "host bridge", "hb" },
	[PDMA_ROLE_ROOT_PORT] = { "root port", "rp" },
	[PDMA_ROLE_SWITCH_UP] = { "switch upstream", "usp" },
	[PDMA_ROLE_SWITCH_DOWN] = { "switch downstream", "dsp" },
	[PDMA_ROLE_PCI_BRIDGE] = { "PCI bridge", "br" },
	[PDMA_ROLE_GPU] = { "GPU", "gpu" },
	[PDMA_ROLE_NIC] = { "NIC", "nic" },
	[PDMA_ROLE_NVME] = { "NVMe", "nvme" },
	[PDMA_ROLE_STORAGE] = { "storage", "disk" },
	[PDMA_ROLE_ACCEL] = { "accelerator", "accel" },
	[PDMA_ROLE_MEMORY] = { "memory", "mem" },
	[PDMA_ROLE_ISA_BRIDGE] = { "ISA bridge", "isa" },
	[PDMA_ROLE_SERIAL_BUS] = { "serial bus", "sbus" },
};

const char *pdma_role_name(enum pdma_role role)
{
	if ((unsigned)role >= PDMA_ROLE__COUNT)
		return "?";
	return role_tab[role].name;
}

static int cmp_addr(const struct pdma_func_info *a,
		    const struct pdma_func_info *b)
{
	if (a->domain != b->domain)
		return a->domain < b->domain ? -1 : 1;
	if (a->bus != b->bus)
		return a->bus < b->bus ? -1 : 1;
	if (a->dev != b->dev)
		return a->dev < b->dev ? -1 : 1;
	if (a->fn != b->fn)
		return a->fn < b->fn ? -1 : 1;
	return 0;
}

static int cmp_func_qsort(const void *a, const void *b)
{
	return cmp_addr(&((const struct pdma_func *)a)->info,
			&((const struct pdma_func *)b)->info);
}

static int find_or_make_hb(struct pdma_fabric *fab, uint16_t domain,
			   uint8_t bus)
{
	struct pdma_host_bridge_info hb = { 0 };
	int idx;

	for (int i = 0; i < fab->nr_hbs; i++)
		if (fab->hbs[i].info.domain == domain &&
		    fab->hbs[i].info.bus == bus)
			return i;
	hb.domain = domain;
	hb.bus = bus;
	hb.numa_node = -1;
	if (pdma_fabric_add_host_bridge(fab, &hb, &idx))
		return -1;
	return idx;
}

static int cmp_bridge_bus(const void *a, const void *b, void *arg)
{
	const struct pdma_fabric *fab = arg;
	const struct pdma_func_info *x = &fab->funcs[*(const int *)a].info;
	const struct pdma_func_info *y = &fab->funcs[*(const int *)b].info;

	if (x->domain != y->domain)
		return x->domain < y->domain ? -1 : 1;
	return x->secondary_bus < y->secondary_bus ? -1 :
	       x->secondary_bus > y->secondary_bus;
}

/*
 * Resolve PDMA_AUTO parents from bridges' secondary bus numbers: the
 * kernel's dev->bus->self.  Bridges are sorted by (domain, secondary bus)
 * once, so each lookup is a binary search.
 */
static int resolve_parents(struct pdma_fabric *fab, struct pdma_error *err)
{
	int *br, nbr = 0, ret = 0;
	char bdf[16];

	br = malloc(sizeof(int) * (size_t)(fab->nr_funcs + 1));
	if (!br)
		return -ENOMEM;
	for (int j = 0; j < fab->nr_funcs; j++)
		if (pdma_fabric_is_bridge(&fab->funcs[j].info) &&
		    fab->funcs[j].info.secondary_bus)
			br[nbr++] = j;
	qsort_r(br, (size_t)nbr, sizeof(int), cmp_bridge_bus, fab);

	for (int i = 0; i < fab->nr_funcs && !ret; i++) {
		struct pdma_func_info *fi = &fab->funcs[i].info;
		int lo = 0, hi = nbr - 1, found = -1;

		if (fi->parent != PDMA_AUTO)
			continue;
		while (lo <= hi) {
			int mid = lo + (hi - lo) / 2;
			const struct pdma_func_info *b = &fab->funcs[br[mid]].info;

			if (b->domain < fi->domain ||
			    (b->domain == fi->domain && b->secondary_bus < fi->bus)) {
				lo = mid + 1;
			} else {
				if (b->domain == fi->domain &&
				    b->secondary_bus == fi->bus)
					found = mid;
				hi = mid - 1;
			}
		}
		fi->parent = PDMA_NONE;
		if (found < 0)
			continue;
		/* found is the first bridge on that bus; a second is an error. */
		if (found + 1 < nbr &&
		    !cmp_bridge_bus(&br[found], &br[found + 1], fab) &&
		    br[found] != i && br[found + 1] != i) {
			const struct pdma_func_info *a = &fab->funcs[br[found]].info;
			const struct pdma_func_info *b = &fab->funcs[br[found + 1]].info;

			pdma__err(err,
				  "%s: two bridges (%02x:%02x.%x and %02x:%02x.%x) claim bus %02x as their secondary bus",
				  pdma_bdf_format(fi, bdf, sizeof(bdf)), a->bus,
				  a->dev, a->fn, b->bus, b->dev, b->fn, fi->bus);
			ret = -EINVAL;
			break;
		}
		if (br[found] != i)
			fi->parent = br[found];
	}
	free(br);
	return ret;
}

/*
 * Check the parent links, derive depth, host bridge and the chain of every
 * function.  Indices here are post-sort.
 */
static int build_chains(struct pdma_fabric *fab, struct pdma_error *err)
{
	char bdf[16], pbdf[16];

	for (int i = 0; i < fab->nr_funcs; i++) {
		struct pdma_func_info *fi = &fab->funcs[i].info;
		int depth = 0, hb, cur = i;

		if (fi->parent != PDMA_NONE) {
			const struct pdma_func_info *p =
				&fab->funcs[fi->parent].info;

			if (!pdma_fabric_is_bridge(p)) {
				pdma__err(err,
					  "%s: its upstream device %s is not a bridge (header type %u)",
					  pdma_bdf_format(fi, bdf, sizeof(bdf)),
					  pdma_bdf_format(p, pbdf, sizeof(pbdf)),
					  p->header_type & 0x7f);
				return -EINVAL;
			}
			if (p->domain != fi->domain ||
			    (p->secondary_bus && p->secondary_bus != fi->bus)) {
				pdma__err(err,
					  "%s: sits below bridge %s whose secondary bus is %02x, not %02x",
					  pdma_bdf_format(fi, bdf, sizeof(bdf)),
					  pdma_bdf_format(p, pbdf, sizeof(pbdf)),
					  p->secondary_bus, fi->bus);
				return -EINVAL;
			}
		}
		/* Walk up; more steps than functions means a cycle. */
		while (fab->funcs[cur].info.parent != PDMA_NONE) {
			cur = fab->funcs[cur].info.parent;
			if (++depth > fab->nr_funcs) {
				pdma__err(err,
					  "%s: its chain of upstream bridges loops",
					  pdma_bdf_format(fi, bdf, sizeof(bdf)));
				return -EINVAL;
			}
		}
		fi->depth = depth;
		if (fi->host_bridge == PDMA_AUTO || fi->host_bridge < 0 ||
		    fi->host_bridge >= fab->nr_hbs) {
			const struct pdma_func_info *top =
				&fab->funcs[cur].info;

			hb = find_or_make_hb(fab, top->domain, top->bus);
			if (hb < 0)
				return -ENOMEM;
			fi->host_bridge = hb;
		}
		fab->funcs[i].chain = malloc(sizeof(int) * (size_t)(depth + 1));
		if (!fab->funcs[i].chain)
			return -ENOMEM;
		cur = i;
		for (int k = 0; k <= depth; k++) {
			fab->funcs[i].chain[k] = cur;
			cur = fab->funcs[cur].info.parent;
		}
	}
	/* Functions of one root bus must name the same host bridge. */
	for (int i = 0; i < fab->nr_funcs; i++) {
		struct pdma_func_info *fi = &fab->funcs[i].info;
		const struct pdma_func_info *top =
			&fab->funcs[fab->funcs[i].chain[fi->depth]].info;
		const struct pdma_host_bridge_info *hb =
			&fab->hbs[fi->host_bridge].info;

		if (hb->domain != top->domain || hb->bus != top->bus) {
			pdma__err(err,
				  "%s: its root bus is %04x:%02x but it names host bridge %04x:%02x",
				  pdma_bdf_format(fi, bdf, sizeof(bdf)),
				  top->domain, top->bus, hb->domain, hb->bus);
			return -EINVAL;
		}
	}
	return 0;
}

int pdma__build_topo(struct pdma_fabric *fab)
{
	int n = 0;

	for (int i = 0; i < fab->nr_funcs; i++)
		fab->funcs[i].first_child = fab->funcs[i].next_sibling = -1;
	/* Children in reverse so that sibling lists come out sorted. */
	for (int i = fab->nr_funcs - 1; i >= 0; i--) {
		int p = fab->funcs[i].info.parent;

		if (p == PDMA_NONE)
			continue;
		fab->funcs[i].next_sibling = fab->funcs[p].first_child;
		fab->funcs[p].first_child = i;
	}
	fab->topo = malloc(sizeof(int) * (size_t)(fab->nr_funcs + 1));
	if (!fab->topo)
		return -ENOMEM;
	/* Breadth-first from every root-bus function: parents come first. */
	for (int i = 0; i < fab->nr_funcs; i++)
		if (fab->funcs[i].info.parent == PDMA_NONE)
			fab->topo[n++] = i;
	for (int head = 0; head < n; head++)
		for (int c = fab->funcs[fab->topo[head]].first_child; c >= 0;
		     c = fab->funcs[c].next_sibling)
			fab->topo[n++] = c;
	return 0;
}

void pdma__derive_host_bridges(struct pdma_fabric *fab)
{
	for (int h = 0; h < fab->nr_hbs; h++) {
		struct pdma_host_bridge_info *hb = &fab->hbs[h].info;
		int first = PDMA_NONE, numa = -1;

		hb->index = h;
		if (!hb->name[0])
			snprintf(hb->name, sizeof(hb->name), "pci%04x:%02x",
				 hb->domain, hb->bus);
		/*
		 * pci_host_bridge_dev(): the first device on the root bus, if
		 * it is devfn 00.0 or a root port.  Functions are sorted, so
		 * the first one found on that bus is the kernel's first.
		 */
		for (int i = 0; i < fab->nr_funcs; i++) {
			const struct pdma_func_info *fi = &fab->funcs[i].info;

			if (fi->host_bridge != h)
				continue;
			if (numa < 0 && fi->numa_node >= 0)
				numa = fi->numa_node;
			if (first == PDMA_NONE && fi->parent == PDMA_NONE)
				first = i;
		}
		hb->root_func = PDMA_NONE;
		if (first != PDMA_NONE) {
			const struct pdma_func_info *fi = &fab->funcs[first].info;

			if ((fi->dev == 0 && fi->fn == 0) ||
			    fi->pcie_type == PDMA_PCIE_ROOT_PORT)
				hb->root_func = first;
		}
		if (hb->numa_node < 0)
			hb->numa_node = numa;
	}
}

/*
 * The kernel marks every function of a slot multifunction when function 0
 * says so in its header type, or when the slot has more than one function
 * (only function 0 must carry the bit).  Functions are sorted by now.
 */
static void derive_multifunction(struct pdma_fabric *fab)
{
	for (int i = 0, j; i < fab->nr_funcs; i = j) {
		const struct pdma_func_info *a = &fab->funcs[i].info;
		bool mf = false;

		for (j = i; j < fab->nr_funcs; j++) {
			const struct pdma_func_info *b = &fab->funcs[j].info;

			if (b->domain != a->domain || b->bus != a->bus ||
			    b->dev != a->dev)
				break;
			if ((b->fn == 0 && b->multifunction) || b->fn != 0)
				mf = true;
		}
		for (int k = i; k < j; k++)
			fab->funcs[k].info.multifunction = mf;
	}
}

static void derive_labels(struct pdma_fabric *fab)
{
	int count[PDMA_ROLE__COUNT] = { 0 };

	for (int i = 0; i < fab->nr_funcs; i++) {
		struct pdma_func_info *fi = &fab->funcs[i].info;

		fi->index = i;
		fi->role = derive_role(fi);
		if (!fi->label[0])
			snprintf(fi->label, sizeof(fi->label), "%s%d",
				 role_tab[fi->role].prefix, count[fi->role]);
		count[fi->role]++;
	}
}

static int cmp_label(const void *a, const void *b, void *arg)
{
	const struct pdma_fabric *fab = arg;
	int x = *(const int *)a, y = *(const int *)b;
	int c = strcmp(fab->funcs[x].info.label, fab->funcs[y].info.label);

	return c ? c : (x > y) - (x < y);
}

/* Addresses are unique (functions are sorted), and so are given labels. */
static int check_unique(struct pdma_fabric *fab, struct pdma_error *err)
{
	int *lab, nlab = 0, ret = 0;
	char bdf[16];

	for (int i = 1; i < fab->nr_funcs; i++)
		if (!cmp_addr(&fab->funcs[i - 1].info, &fab->funcs[i].info)) {
			pdma__err(err, "%s: the address appears twice",
				  pdma_bdf_format(&fab->funcs[i].info, bdf,
						  sizeof(bdf)));
			return -EINVAL;
		}
	lab = malloc(sizeof(int) * (size_t)(fab->nr_funcs + 1));
	if (!lab)
		return -ENOMEM;
	for (int i = 0; i < fab->nr_funcs; i++) {
		const struct pdma_func_info *fi = &fab->funcs[i].info;

		if (fi->dev > 31 || fi->fn > 7) {
			pdma__err(err, "%04x:%02x:%02x.%x: device must be 0-31 and function 0-7",
				  fi->domain, fi->bus, fi->dev, fi->fn);
			ret = -EINVAL;
			goto out;
		}
		if (fi->label[0])
			lab[nlab++] = i;
	}
	qsort_r(lab, (size_t)nlab, sizeof(int), cmp_label, fab);
	for (int k = 1; k < nlab; k++) {
		const struct pdma_func_info *a = &fab->funcs[lab[k - 1]].info;
		const struct pdma_func_info *b = &fab->funcs[lab[k]].info;

		if (strcmp(a->label, b->label))
			continue;
		pdma__err(err, "label \"%s\" is given to both %s and %02x:%02x.%x",
			  a->label, pdma_bdf_format(a, bdf, sizeof(bdf)),
			  b->bus, b->dev, b->fn);
		ret = -EINVAL;
		break;
	}
out:
	free(lab);
	return ret;
}

/*
 * Links outside what PCIe defines (gen 1-6, x1-x32) are unknown: a dump of
 * odd hardware must not carry a width no topology file could hold.
 */
static void normalize_links(struct pdma_fabric *fab)
{
	for (int i = 0; i < fab->nr_funcs; i++) {
		struct pdma_link *l[2] = { &fab->funcs[i].info.link_cur,
					   &fab->funcs[i].info.link_max };

		for (int k = 0; k < 2; k++) {
			if (l[k]->gen < 0 || l[k]->gen > 6)
				l[k]->gen = 0;
			if (l[k]->width < 0 || l[k]->width > 32)
				l[k]->width = 0;
		}
	}
}

int pdma_fabric_finalize(struct pdma_fabric *fab, struct pdma_error *err)
{
	int *newidx = NULL, ret;

	if (fab->finalized)
		return -EBUSY;
	ret = resolve_parents(fab, err);
	if (ret)
		return ret;
	/* Sort, then renumber the parent links given as insertion indices. */
	for (int i = 0; i < fab->nr_funcs; i++) {
		int p = fab->funcs[i].info.parent;

		if (p != PDMA_NONE && (p < 0 || p >= fab->nr_funcs || p == i)) {
			pdma__err(err, "function %d names upstream bridge %d, which does not exist",
				  i, p);
			return -EINVAL;
		}
		fab->funcs[i].info.index = i;
	}
	if (fab->nr_funcs > 1)	/* funcs is NULL in an empty fabric */
		qsort(fab->funcs, (size_t)fab->nr_funcs, sizeof(*fab->funcs),
		      cmp_func_qsort);
	newidx = malloc(sizeof(int) * (size_t)(fab->nr_funcs + 1));
	if (!newidx)
		return -ENOMEM;
	for (int i = 0; i < fab->nr_funcs; i++)
		newidx[fab->funcs[i].info.index] = i;
	for (int i = 0; i < fab->nr_funcs; i++) {
		int p = fab->funcs[i].info.parent;

		if (p != PDMA_NONE)
			fab->funcs[i].info.parent = newidx[p];
	}
	free(newidx);
	normalize_links(fab);
	ret = check_unique(fab, err);
	if (!ret)
		ret = build_chains(fab, err);
	if (!ret)
		ret = pdma__build_topo(fab);
	if (ret)
		return ret;
	derive_multifunction(fab);
	derive_labels(fab);
	pdma__derive_host_bridges(fab);
	pdma__names_fill(fab);
	fab->finalized = true;
	pdma__fabric_changed(fab);
	return 0;
}
