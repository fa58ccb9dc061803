/* SPDX-License-Identifier: MIT */
/*
 * The QEMU machine around the device tree: how to run it, -M q35, the CPU
 * that keeps the kernel's CPU rule, NUMA nodes, the IOMMU, one pxb-pcie per
 * extra host bridge; and, after the tree, what was left out.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <peerdma/source.h>

#include "export_qemu.h"

static int hb_cmp(const void *a, const void *b, void *arg)
{
	const struct pdma_fabric *fab = arg;
	const struct pdma_host_bridge_info *x =
		pdma_fabric_host_bridge(fab, *(const int *)a);
	const struct pdma_host_bridge_info *y =
		pdma_fabric_host_bridge(fab, *(const int *)b);

	if (x->domain != y->domain)
		return x->domain < y->domain ? -1 : 1;
	return x->bus - y->bus;
}

static bool is_pxb(const struct pdma_func_info *fi)
{
	return fi->vendor == 0x1b36 && fi->device == 0x000b;
}

int pdma__qemu_plan(struct qctx *q)
{
	const struct pdma_fabric *fab = q->fab;
	int nh = pdma_fabric_nr_host_bridges(fab), hb0 = -1, np = 0, *order;
	int pxb_slot[32];
	bool used[32] = { false };

	q->pxb_addr = malloc(sizeof(int) * (size_t)(nh + 1));
	order = malloc(sizeof(int) * (size_t)(nh + 1));
	if (!q->pxb_addr || !order) {
		free(order);
		return -ENOMEM;
	}
	for (int h = 0; h < nh; h++) {
		const struct pdma_host_bridge_info *hb =
			pdma_fabric_host_bridge(fab, h);

		if (!hb->domain && !hb->bus)
			hb0 = h;
		order[h] = h;
	}
	used[0] = used[0x1f] = true;	/* q35's host bridge and ICH9 */
	for (int i = 0; i < pdma_fabric_nr_funcs(fab); i++) {
		const struct pdma_func_info *fi = pdma_fabric_func(fab, i);

		if (fi->parent != PDMA_NONE || fi->host_bridge != hb0)
			continue;
		if (is_pxb(fi) && fi->fn == 0 && np < 32)
			pxb_slot[np++] = fi->dev;
		else
			used[fi->dev] = true;
	}
	qsort_r(order, (size_t)nh, sizeof(int), hb_cmp, (void *)fab);
	for (int k = 0, next = 0; k < nh; k++) {
		const struct pdma_host_bridge_info *hb =
			pdma_fabric_host_bridge(fab, order[k]);
		int h = order[k], slot = -1;

		q->pxb_addr[h] = QEMU_HB_SKIP;
		if (h == hb0) {
			q->pxb_addr[h] = QEMU_HB_PCIE0;
			continue;
		}
		if (!hb->bus)
			continue;
		for (int j = 0; j < nh; j++) {
			const struct pdma_host_bridge_info *o =
				pdma_fabric_host_bridge(fab, j);

			if (j != h && o->bus == hb->bus &&
			    (!o->domain || o->domain < hb->domain))
				slot = -2;
		}
		if (slot == -2)
			continue;
		if (next < np) {
			slot = pxb_slot[next++];
		} else {
			for (int d = 1; d < 32 && slot < 0; d++)
				if (!used[d])
					slot = d;
		}
		if (slot < 0)
			continue;
		used[slot] = true;
		q->pxb_addr[h] = slot;
	}
	free(order);
	return 0;
}

/* The highest NUMA node a pxb-pcie will carry, or -1. */
static int max_node(const struct qctx *q)
{
	int m = -1;

	for (int h = 0; h < pdma_fabric_nr_host_bridges(q->fab); h++) {
		const struct pdma_host_bridge_info *hb =
			pdma_fabric_host_bridge(q->fab, h);

		if (q->pxb_addr[h] >= 0 && hb->numa_node > m)
			m = hb->numa_node;
	}
	return m;
}

static void cpu_lines(const struct qctx *q, FILE *f)
{
	const struct pdma_platform_info *pi = pdma_fabric_platform(q->fab);

	if (pdma__cpu_supports_p2pdma(q->fab)) {
		fprintf(f, "# CPU: AMD family 0x%x, which lets P2P cross the host bridge; -cpu EPYC (family 0x17) keeps that rule\n",
			pi->cpu_family);
		fprintf(f, "-cpu EPYC\n");
		return;
	}
	if (pi->cpu_family >= 0)
		fprintf(f, "# CPU: %s family 0x%x: ", pdma__topo_cpu_name(pi->cpu_vendor),
			pi->cpu_family);
	else
		fprintf(f, "# CPU: %s: ", pdma__topo_cpu_name(pi->cpu_vendor));
	fprintf(f, "no -cpu needed (under TCG, -cpu max is AMD family 0xf, which, like this CPU, does not let P2P cross the host bridge)\n");
}

static void allowlist_notes(const struct qctx *q, FILE *f)
{
	for (int h = 0; h < pdma_fabric_nr_host_bridges(q->fab); h++) {
		const struct pdma_host_bridge_info *hb =
			pdma_fabric_host_bridge(q->fab, h);
		const struct pdma_func_info *root;

		if (pdma__hb_status(q->fab, h, true) != PDMA_HB_OK)
			continue;
		root = pdma_fabric_func(q->fab, hb->root_func);
		fprintf(f, "# host bridge %s: its root device %04x:%04x is on the kernel's P2PDMA allow-list; QEMU's (q35 8086:29c0, root ports 1b36:000c) are not, so the guest rejects pairs that cross it\n",
			hb->name, root->vendor, root->device);
	}
}

static void pxb_lines(const struct qctx *q, FILE *f)
{
	for (int h = 0; h < pdma_fabric_nr_host_bridges(q->fab); h++) {
		const struct pdma_host_bridge_info *hb =
			pdma_fabric_host_bridge(q->fab, h);
		char numa[24] = "";

		if (q->pxb_addr[h] == QEMU_HB_PCIE0)
			continue;
		if (q->pxb_addr[h] == QEMU_HB_SKIP) {
			fprintf(f, "# host bridge %s (%04x:%02x) and everything below it left out: no free bus number or slot for a pxb-pcie\n",
				hb->name, hb->domain, hb->bus);
			continue;
		}
		if (hb->domain)
			fprintf(f, "# host bridge %s: QEMU puts pxb-pcie host bridges in domain 0, not %04x\n",
				hb->name, hb->domain);
		if (hb->numa_node >= 0)
			snprintf(numa, sizeof(numa), ",numa_node=%d",
				 hb->numa_node);
		fprintf(f, "-device pxb-pcie,id=pxb%02x,bus_nr=0x%02x%s,bus=pcie.0,addr=0x%x\n",
			hb->bus, hb->bus, numa, q->pxb_addr[h]);
	}
}

int pdma__qemu_head(struct qctx *q, FILE *f)
{
	const struct pdma_platform_info *pi = pdma_fabric_platform(q->fab);
	int nodes = max_node(q) + 1;

	fprintf(f, "# peerdma: QEMU arguments for the PCIe tree of %s\n",
		pi->source[0] ? pi->source : "a fabric");
	fprintf(f, "# run: qemu-system-x86_64 -accel tcg -m %dG -smp %d -nographic -kernel ... $(grep -v '^#' THIS_FILE)\n",
		nodes > 2 ? nodes : 2, nodes > 2 ? nodes : 2);
	if (q->disks)
		fprintf(f, "# first: mkdir -p disks && truncate -s 16M%s\n",
			q->disks);
	if (pi->cmdline[0])
		fprintf(f, "# the source machine booted with: %s\n", pi->cmdline);
	fprintf(f, "-M q35%s\n", pi->iommu ? ",kernel-irqchip=split" : "");
	cpu_lines(q, f);
	if (pi->iommu) {
		fprintf(f, "# IOMMU: boot the guest with intel_iommu=on; its groups then follow from ACS, not from these arguments\n");
		fprintf(f, "-device intel-iommu,intremap=on,caching-mode=on\n");
	}
	if (nodes > 0)
		fprintf(f, "# NUMA: one node per host-bridge node, 1G and one CPU each (-m %dG -smp %d at least)\n",
			nodes, nodes);
	for (int n = 0; n < nodes; n++)
		fprintf(f, "-object memory-backend-ram,id=ram-node%d,size=1G -numa node,nodeid=%d,cpus=%d,memdev=ram-node%d\n",
			n, n, n, n);
	allowlist_notes(q, f);
	pxb_lines(q, f);
	return ferror(f) ? -EIO : 0;
}

int pdma__qemu_tail(struct qctx *q, FILE *f)
{
	const char *p = q->skipped;
	int k = 0;

	if (!p)
		return 0;
	fprintf(f, "# left out (chipset and system functions: q35 brings its own or nothing uses them):\n#");
	while (*p) {
		const char *e = strchr(p + 1, ' ');
		size_t n = e ? (size_t)(e - p) : strlen(p);

		if (k && !(k % 6))
			fputs("\n#", f);
		fwrite(p, 1, n, f);
		p += n;
		k++;
	}
	fputc('\n', f);
	return ferror(f) ? -EIO : 0;
}
