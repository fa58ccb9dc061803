/* SPDX-License-Identifier: MIT */
/*
 * pdma_export_qemu(): QEMU (7.2 or newer) arguments that build the same PCIe
 * tree as a fabric, on the q35 machine, one device per line:
 *
 *   pcie.0 (q35)          root bus 0 of domain 0: root ports, RCiEPs
 *   pxb-pcie,bus_nr=N     every other host bridge, with its NUMA node
 *   pcie-root-port        root ports (x-speed/x-width from the link caps)
 *   x3130-upstream        switch upstream ports
 *   xio3130-downstream    switch downstream ports
 *   pcie-pci-bridge, pci-bridge   bridges to conventional PCI
 *   nvme (cmb_size_mb from p2pmem or BAR 2), e1000e, ahci, qemu-xhci,
 *   ivshmem-plain         memory devices, and a stand-in where nothing fits
 *
 * What QEMU cannot model becomes a '#' comment at the place it concerns:
 * ACS control bits, link speeds below root ports, device kinds without a
 * model (GPUs, accelerators), host bridges on the kernel's allow-list.
 * Chipset functions (host bridge, ISA, SMBus, system peripherals) that q35
 * provides itself or that nothing uses are listed once.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <peerdma/source.h>

#include "export_qemu.h"

#define MiB (1ull << 20)

/* What a bus is in QEMU, for what may sit on it. */
enum qbus {
	QBUS_ROOT,	/* pcie.0 or a pxb-pcie's bus */
	QBUS_PORT,	/* below a root or switch downstream port */
	QBUS_SWITCH,	/* inside a switch, below its upstream port */
	QBUS_PCI,	/* conventional PCI, below a PCIe-to-PCI bridge */
};

static const struct pdma_func_info *fn(const struct qctx *q, int i)
{
	return pdma_fabric_func(q->fab, i);
}

static const char *bdf(const struct pdma_func_info *fi, char *buf)
{
	return pdma_bdf_format(fi, buf, 16);
}

void pdma__qemu_append(char **s, size_t *len, const char *add)
{
	size_t n = strlen(add);
	char *p = realloc(*s, *len + n + 1);

	if (!p)
		return;
	memcpy(p + *len, add, n + 1);
	*s = p;
	*len += n;
}

static bool id_ok(const char *s)
{
	if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
		return false;
	if (!strncmp(s, "pxb", 3) || (s[0] == 'f' && s[1] >= '0' && s[1] <= '9'))
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' ||
		      *s == '.'))
			return false;
	return true;
}

/*
 * Another function shares this one's slot: QEMU needs multifunction=on.
 * Functions are sorted by address, so such a one is next to it.
 */
static bool shares_slot(const struct qctx *q, const struct pdma_func_info *fi)
{
	for (int i = fi->index - 1; i <= fi->index + 1; i += 2) {
		const struct pdma_func_info *o = fn(q, i);

		if (o && o->domain == fi->domain && o->bus == fi->bus &&
		    o->dev == fi->dev)
			return true;
	}
	return false;
}

/* ",addr=0x1c.1[,multifunction=on]" as the bus kind needs it. */
static void addr_opt(const struct qctx *q, const struct pdma_func_info *fi,
		     enum qbus bus, char *buf, size_t len)
{
	bool mf = fi->fn == 0 && (fi->multifunction || shares_slot(q, fi));

	buf[0] = '\0';
	if (bus == QBUS_PORT && !fi->dev && !fi->fn && !mf)
		return;
	if (!fi->fn && !mf)
		snprintf(buf, len, ",addr=0x%x", fi->dev);
	else
		snprintf(buf, len, ",addr=0x%x.%x%s", fi->dev, fi->fn,
			 mf ? ",multifunction=on" : "");
}

static void comment(struct qctx *q, int i, const char *what)
{
	const struct pdma_func_info *fi = fn(q, i);
	char b[16];

	fprintf(q->f, "# %s %s: %s\n", fi->label, bdf(fi, b), what);
}

static const char *const speed_opt[] = { NULL, "2_5", "5", "8", "16" };

/* A root port: x-speed/x-width from its link capabilities, ACS notes. */
static void root_port(struct qctx *q, int i, const char *bus, const char *addr)
{
	const struct pdma_func_info *fi = fn(q, i);
	const struct pdma_link *l = &fi->link_max;
	char link[48] = "", why[160], b[16];
	int ch = ++q->chassis;

	if (l->gen >= 1 && l->gen <= 4 && !(l->gen == 4 && l->width == 32))
		snprintf(link, sizeof(link), ",x-speed=%s", speed_opt[l->gen]);
	if (l->gen > 4) {
		snprintf(why, sizeof(why), "link capability gen%d: QEMU 7.2 root ports go up to 16 GT/s (x-speed=16)",
			 l->gen);
		comment(q, i, why);
		snprintf(link, sizeof(link), ",x-speed=16");
	}
	if (l->width && l->width != 32 &&
	    (l->width == 1 || l->width == 2 || l->width == 4 ||
	     l->width == 8 || l->width == 12 || l->width == 16))
		snprintf(link + strlen(link), sizeof(link) - strlen(link),
			 ",x-width=%d", l->width);
	if (fi->has_acs && (fi->acs_ctrl & PDMA_ACS_REDIR_MASK)) {
		snprintf(why, sizeof(why), "ACS control 0x%04x (redirect on) is set by the guest kernel when an IOMMU is on, not by QEMU",
			 fi->acs_ctrl);
		comment(q, i, why);
	} else if (fi->has_acs && pdma_fabric_platform(q->fab)->iommu) {
		snprintf(why, sizeof(why), "ACS redirect off: boot the guest with pci=disable_acs_redir=%s",
			 bdf(fi, b));
		comment(q, i, why);
	}
	fprintf(q->f, "-device pcie-root-port,id=%s,bus=%s,chassis=%d,slot=%d%s%s%s\n",
		q->id[i], bus, ch, ch, addr, link,
		fi->acs_known && !fi->has_acs ? ",disable-acs=true" : "");
}

static void switch_acs_note(struct qctx *q, int i)
{
	const struct pdma_func_info *fi = fn(q, i);
	char why[160];

	if (!fi->has_acs)
		return;
	snprintf(why, sizeof(why), "ACS capability 0x%04x, control 0x%04x%s: QEMU's XIO3130 switch ports have no ACS",
		 fi->acs_cap, fi->acs_ctrl,
		 fi->acs_ctrl & PDMA_ACS_REDIR_MASK ? " (redirect on)" : "");
	comment(q, i, why);
}

/* A bridge: which QEMU device it becomes depends on the bus it sits on. */
static enum qbus bridge(struct qctx *q, int i, enum qbus on, const char *bus,
			const char *addr)
{
	const struct pdma_func_info *fi = fn(q, i);

	if (on == QBUS_ROOT) {
		if (fi->pcie_type != PDMA_PCIE_ROOT_PORT)
			comment(q, i, "a bridge on a root bus other than a root port: modelled as a root port");
		root_port(q, i, bus, addr);
		return QBUS_PORT;
	}
	if (on == QBUS_SWITCH) {
		switch_acs_note(q, i);
		fprintf(q->f, "-device xio3130-downstream,id=%s,bus=%s,chassis=%d,slot=0%s\n",
			q->id[i], bus, ++q->chassis,
			(fi->dev || fi->fn) ? addr : "");
		return QBUS_PORT;
	}
	if (on == QBUS_PCI || fi->pcie_type == PDMA_PCIE_NONE) {
		fprintf(q->f, "-device pci-bridge,id=%s,bus=%s,chassis_nr=%d%s\n",
			q->id[i], bus, ++q->chassis, addr);
		return QBUS_PCI;
	}
	if (fi->pcie_type == PDMA_PCIE_PCIE_TO_PCI) {
		fprintf(q->f, "-device pcie-pci-bridge,id=%s,bus=%s%s\n",
			q->id[i], bus, addr);
		return QBUS_PCI;
	}
	if (fi->pcie_type != PDMA_PCIE_UPSTREAM)
		comment(q, i, "a bridge below a port other than a switch upstream port: modelled as one");
	switch_acs_note(q, i);
	fprintf(q->f, "-device x3130-upstream,id=%s,bus=%s%s\n", q->id[i], bus,
		addr);
	return QBUS_SWITCH;
}

static unsigned long long pow2_mib(uint64_t bytes, uint64_t min, uint64_t max)
{
	uint64_t v = min;

	while (v < bytes && v < max)
		v <<= 1;
	return (unsigned long long)(v / MiB);
}

static uint64_t largest_bar(const struct pdma_func_info *fi)
{
	uint64_t m = 0;

	for (int b = 0; b < 6; b++)
		if ((fi->bars[b].flags & PDMA_BAR_MEM) && fi->bars[b].size > m)
			m = fi->bars[b].size;
	return m;
}

static void nvme(struct qctx *q, int i, const char *bus, const char *addr)
{
	const struct pdma_func_info *fi = fn(q, i);
	uint64_t cmb = 0;
	char opt[48] = "", line[96];

	if (fi->p2pmem.present)
		cmb = fi->p2pmem.size;
	else if (fi->vendor == 0x1b36 && fi->device == 0x0010 &&
		 fi->bars[2].size >= MiB)
		cmb = fi->bars[2].size;
	if (cmb) {
		if (cmb % MiB)
			comment(q, i, "controller memory buffer rounded up to whole MiB");
		snprintf(opt, sizeof(opt), ",cmb_size_mb=%llu",
			 (unsigned long long)((cmb + MiB - 1) / MiB));
	}
	fprintf(q->f, "-drive file=disks/%s.img,id=drv-%s,if=none,format=raw,file.locking=off -device nvme,id=%s,serial=%.20s,drive=drv-%s%s,bus=%s%s\n",
		q->id[i], q->id[i], q->id[i], fi->label, q->id[i], opt, bus,
		addr);
	snprintf(line, sizeof(line), " disks/%s.img", q->id[i]);
	pdma__qemu_append(&q->disks, &q->disks_len, line);
}

/* ivshmem-plain: a memory device, or a stand-in for what QEMU lacks. */
static void ivshmem(struct qctx *q, int i, const char *bus, const char *addr,
		    bool stand_in)
{
	const struct pdma_func_info *fi = fn(q, i);
	uint64_t want = fi->bars[2].size ? fi->bars[2].size : largest_bar(fi);
	unsigned long long mb = pow2_mib(want, MiB, stand_in ? 64 * MiB :
							       1024 * MiB);
	char why[200];

	if (stand_in) {
		snprintf(why, sizeof(why), "%s %04x:%04x (%.60s): QEMU has no model; an ivshmem-plain with a %lluM BAR holds its place",
			 pdma_role_name(fi->role), fi->vendor, fi->device,
			 fi->name[0] ? fi->name : "no name", mb);
		comment(q, i, why);
	}
	if (fi->p2pmem.present)
		comment(q, i, "publishes p2pmem, which only QEMU's NVMe CMB does in a guest");
	fprintf(q->f, "-object memory-backend-ram,id=shm-%s,size=%lluM -device ivshmem-plain,id=%s,memdev=shm-%s,bus=%s%s\n",
		q->id[i], mb, q->id[i], q->id[i], bus, addr);
}

/* Chipset functions: q35 has its own, or nothing depends on them. */
static bool chipset(const struct qctx *q, const struct pdma_func_info *fi)
{
	unsigned base = fi->class_code >> 16;
	const struct pdma_host_bridge_info *hb =
		pdma_fabric_host_bridge(q->fab, fi->host_bridge);

	if (pdma_fabric_is_bridge(fi))
		return false;
	if (base == 0x06 || base == 0x08 || base == 0x11 ||
	    (fi->class_code >> 8) == 0x0c05)
		return true;
	/* q35's ICH9 owns slot 1f of bus 0. */
	return hb && !hb->domain && !hb->bus && fi->parent == PDMA_NONE &&
	       fi->dev == 0x1f;
}

static void endpoint(struct qctx *q, int i, enum qbus on, const char *bus,
		     const char *addr)
{
	const struct pdma_func_info *fi = fn(q, i);
	const struct pdma_link *l = &fi->link_max;
	unsigned base = fi->class_code >> 16;
	char why[160], lk[32];

	if ((l->gen > 1 || l->width > 1) && on != QBUS_PCI) {
		pdma__topo_link_format(*l, lk, sizeof(lk));
		snprintf(why, sizeof(why), "link %s not modelled: QEMU's devices link at 2.5 GT/s x1",
			 lk);
		comment(q, i, why);
	}
	if (fi->has_acs && (fi->acs_ctrl & PDMA_ACS_REDIR_MASK))
		comment(q, i, "ACS redirect on this function is not modelled");
	if (fi->class_code == 0x010802) {
		nvme(q, i, bus, addr);
	} else if (base == 0x02 || (fi->class_code >> 8) == 0x0c06) {
		if (fi->vendor != 0x8086 || fi->device != 0x10d3) {
			snprintf(why, sizeof(why), "NIC %04x:%04x modelled as an e1000e",
				 fi->vendor, fi->device);
			comment(q, i, why);
		}
		q->nr_nic++;
		fprintf(q->f, "-device e1000e,id=%s,bus=%s%s,mac=52:54:00:%02x:%02x:%02x\n",
			q->id[i], bus, addr, (q->nr_nic >> 16) & 0xff,
			(q->nr_nic >> 8) & 0xff, q->nr_nic & 0xff);
	} else if ((fi->class_code >> 8) == 0x0106) {
		fprintf(q->f, "-device ahci,id=%s,bus=%s%s\n", q->id[i], bus,
			addr);
	} else if ((fi->class_code >> 8) == 0x0c03) {
		fprintf(q->f, "-device qemu-xhci,id=%s,bus=%s%s\n", q->id[i],
			bus, addr);
	} else {
		ivshmem(q, i, bus, addr, base != 0x05);
	}
}

static void skip_list(struct qctx *q, int i)
{
	char b[24];

	snprintf(b, sizeof(b), " %s", bdf(fn(q, i), b + 8));
	pdma__qemu_append(&q->skipped, &q->skipped_len, b);
}

/* Everything on one bus, depth first. */
static void bus_walk(struct qctx *q, const int *list, int nr, enum qbus on,
		     const char *bus)
{
	for (int k = 0; k < nr; k++) {
		int i = list[k], *kids, nk = 0;
		const struct pdma_func_info *fi = fn(q, i);
		enum qbus below;
		char addr[48];

		if (fi->vendor == 0x1b36 && fi->device == 0x000b &&
		    !pdma_fabric_is_bridge(fi))
			continue;	/* a pxb-pcie: written with its host bridge */
		if (chipset(q, fi)) {
			skip_list(q, i);
			continue;
		}
		addr_opt(q, fi, on == QBUS_SWITCH ? QBUS_ROOT : on, addr,
			 sizeof(addr));
		if (on == QBUS_PORT && fi->dev)
			comment(q, i, "device number above 0 below a PCIe port: QEMU allows only slot 0 there");
		if (!pdma_fabric_is_bridge(fi)) {
			if (on == QBUS_SWITCH) {
				comment(q, i, "a function on a switch's internal bus that is not a downstream port: left out");
				continue;
			}
			endpoint(q, i, on, bus, addr);
			continue;
		}
		below = bridge(q, i, on, bus, addr);
		kids = malloc(sizeof(int) * (size_t)(pdma_fabric_nr_funcs(q->fab) + 1));
		if (!kids)
			continue;
		for (int c = q->fab->funcs[i].first_child; c >= 0;
		     c = q->fab->funcs[c].next_sibling)
			kids[nk++] = c;
		bus_walk(q, kids, nk, below, q->id[i]);
		free(kids);
	}
}

/* The functions on host bridge @h's root bus, in bus order. */
static int root_list(const struct qctx *q, int h, int *list)
{
	int n = 0;

	for (int i = 0; i < pdma_fabric_nr_funcs(q->fab); i++)
		if (fn(q, i)->parent == PDMA_NONE && fn(q, i)->host_bridge == h)
			list[n++] = i;
	return n;
}

int pdma_export_qemu(const struct pdma_fabric *fab, FILE *f)
{
	int nr = pdma_fabric_nr_funcs(fab), *list, ret = 0;
	struct qctx q = { .fab = fab };
	char *body = NULL;
	size_t body_len = 0;

	q.id = calloc((size_t)nr + 1, sizeof(*q.id));
	list = malloc(sizeof(int) * (size_t)(nr + 1));
	q.f = open_memstream(&body, &body_len);
	if (!q.id || !list || !q.f) {
		ret = -ENOMEM;
		goto out;
	}
	for (int i = 0; i < nr; i++) {
		if (id_ok(fn(&q, i)->label) && strlen(fn(&q, i)->label) < 24)
			snprintf(q.id[i], sizeof(q.id[i]), "%s", fn(&q, i)->label);
		else
			snprintf(q.id[i], sizeof(q.id[i]), "f%d", i);
	}
	ret = pdma__qemu_plan(&q);
	if (ret)
		goto out;
	for (int h = 0; h < pdma_fabric_nr_host_bridges(fab); h++) {
		const struct pdma_host_bridge_info *hb =
			pdma_fabric_host_bridge(fab, h);
		char bus[16];

		if (!hb->domain && !hb->bus)
			snprintf(bus, sizeof(bus), "pcie.0");
		else
			snprintf(bus, sizeof(bus), "pxb%02x", hb->bus);
		if (q.pxb_addr[h] == QEMU_HB_SKIP)
			continue;
		bus_walk(&q, list, root_list(&q, h, list), QBUS_ROOT, bus);
	}
	if (fclose(q.f))
		ret = -EIO;
	q.f = NULL;
	if (!ret)
		ret = pdma__qemu_head(&q, f);
	if (!ret && (fputs(body, f) == EOF || pdma__qemu_tail(&q, f)))
		ret = -EIO;
	if (!ret && ferror(f))
		ret = -EIO;
out:
	if (q.f)
		fclose(q.f);
	free(body);
	free(list);
	free(q.id);
	free(q.skipped);
	free(q.disks);
	free(q.pxb_addr);
	return ret;
}
