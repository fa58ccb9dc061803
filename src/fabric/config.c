/* SPDX-License-Identifier: MIT */
/*
 * Decoding PCI configuration space (see config.h).
 *
 * The bytes come from a file or a hex dump that anybody may have edited, so
 * every read is bounds-checked against @len and every capability list is
 * walked with a visited map: a list that loops, points into the header or
 * runs past the bytes is reported, never followed.
 *
 * Where the kernel silently stops a walk (a standard capability with id
 * 0xff, an extended header of all ones), so do we: those are what a device
 * that does not implement the space returns, and the kernel's verdicts are
 * made from what it found before stopping.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include <pci/header.h>

#include "config.h"

#define CFG_STD_SIZE	256	/* PCI_CFG_SPACE_SIZE */
#define CFG_EXT_SIZE	4096	/* PCI_CFG_SPACE_EXP_SIZE */
#define CFG_HDR_SIZE	64	/* the standard header */

/* Extended capability header fields (PCIe spec 7.6.3). */
#define EXT_CAP_ID(h)	((h) & 0xffffu)
#define EXT_CAP_NEXT(h)	(((h) >> 20) & 0xffcu)

/* What the PCI Express capability must hold for us: up to Link Status. */
#define EXP_CAP_NEED	(PCI_EXP_LNKSTA + 2)
/* What the ACS capability must hold for us: up to ACS Control. */
#define ACS_CAP_NEED	(PCI_ACS_CTRL + 2)

struct cfg {
	const uint8_t *b;
	size_t len;
	const char *what;
	struct pdma_error *err;
};

static uint16_t rd16(const struct cfg *c, size_t off)
{
	return (uint16_t)(c->b[off] | c->b[off + 1] << 8);
}

static uint32_t rd32(const struct cfg *c, size_t off)
{
	return (uint32_t)c->b[off] | (uint32_t)c->b[off + 1] << 8 |
	       (uint32_t)c->b[off + 2] << 16 | (uint32_t)c->b[off + 3] << 24;
}

/* Types that have link registers (the kernel's pcie_cap_has_lnkctl()). */
static bool has_link(int type)
{
	switch (type) {
	case PCI_EXP_TYPE_ENDPOINT:
	case PCI_EXP_TYPE_LEG_END:
	case PCI_EXP_TYPE_ROOT_PORT:
	case PCI_EXP_TYPE_UPSTREAM:
	case PCI_EXP_TYPE_DOWNSTREAM:
	case PCI_EXP_TYPE_PCI_BRIDGE:
	case PCI_EXP_TYPE_PCIE_BRIDGE:
		return true;
	default:
		return false;
	}
}

static struct pdma_link decode_link(unsigned reg)
{
	struct pdma_link l;
	unsigned speed = reg & PCI_EXP_LNKSTA_SPEED;

	l.gen = speed >= 1 && speed <= 6 ? (int)speed : 0;
	l.width = (int)((reg & PCI_EXP_LNKSTA_WIDTH) >> 4);
	return l;
}

static void decode_bars(const struct cfg *c, struct pdma_func_info *fi,
			int nr)
{
	for (int i = 0; i < 6; i++) {
		fi->bars[i].addr = 0;
		fi->bars[i].flags = 0;
	}
	for (int i = 0; i < nr; i++) {
		size_t off = PCI_BASE_ADDRESS_0 + 4 * (size_t)i;
		uint32_t v = rd32(c, off);
		struct pdma_bar *bar = &fi->bars[i];

		/* All zero: not implemented, or not assigned; a dump cannot
		 * tell which, so the slot stays empty. */
		if (!v)
			continue;
		if (v & PCI_BASE_ADDRESS_SPACE_IO) {
			bar->addr = v & ~0x3u;
			continue;
		}
		bar->flags = PDMA_BAR_MEM;
		if (v & PCI_BASE_ADDRESS_MEM_PREFETCH)
			bar->flags |= PDMA_BAR_PREFETCH;
		bar->addr = v & ~0xfu;
		/* A 64-bit BAR in the last slot has no upper half: the
		 * kernel would read past the BARs; we keep the low half. */
		if ((v & PCI_BASE_ADDRESS_MEM_TYPE_MASK) ==
			    PCI_BASE_ADDRESS_MEM_TYPE_64 && i + 1 < nr) {
			bar->flags |= PDMA_BAR_64;
			bar->addr |= (uint64_t)rd32(c, off + 4) << 32;
			i++;
		}
	}
}

/* Bytes that capability walks may look at: the whole dump, at most 4 KiB. */
static size_t cfg_limit(const struct cfg *c)
{
	return c->len < CFG_EXT_SIZE ? c->len : CFG_EXT_SIZE;
}

/*
 * Walk the whole standard capability list, checking every link, and note
 * the first PCI Express capability (the one the kernel uses) in *@pos, or
 * 0.  A list that runs into bytes a short read left out ends the walk with
 * *@cut set: what lies there is unknown, not wrong.
 */
static int find_exp_cap(const struct cfg *c, unsigned list, unsigned *pos,
			bool *cut)
{
	/* The standard space is 256 bytes, though the dump may be shorter. */
	size_t end = c->len < CFG_STD_SIZE ? c->len : CFG_STD_SIZE;
	bool full = c->len >= CFG_STD_SIZE;
	uint8_t seen[CFG_STD_SIZE / 4] = { 0 };
	unsigned p = c->b[list] & ~3u, from = list;

	*pos = 0;
	*cut = false;
	/* At most 48 steps: each visits a new dword of 0x40..0xff. */
	while (p) {
		unsigned id;

		if (p < CFG_HDR_SIZE) {
			pdma__err(c->err,
				  "%s: malformed capability list: the pointer at 0x%02x is 0x%02x, inside the 64-byte header",
				  c->what, from, p);
			return -EINVAL;
		}
		if (seen[p / 4]) {
			pdma__err(c->err,
				  "%s: malformed capability list: it loops (the pointer at 0x%02x leads back to 0x%02x)",
				  c->what, from, p);
			return -EINVAL;
		}
		seen[p / 4] = 1;
		if (p + 2 > end) {
			/* p <= 0xfc: only a short read gets here. */
			*cut = true;
			return 0;
		}
		id = c->b[p + PCI_CAP_LIST_ID];
		if (id == 0xff)		/* the kernel stops here too */
			return 0;
		if (id == PCI_CAP_ID_EXP && !*pos) {
			if (p + EXP_CAP_NEED > end) {
				if (full) {
					pdma__err(c->err,
						  "%s: malformed capability list: the PCI Express capability at 0x%02x runs past the 256-byte standard space",
						  c->what, p);
					return -EINVAL;
				}
				*cut = true;
				return 0;
			}
			*pos = p;
		}
		from = p + PCI_CAP_LIST_NEXT;
		p = c->b[from] & ~3u;
	}
	return 0;
}

/*
 * Walk the whole extended capability list (from 0x100), checking every
 * link, and note the first ACS capability in *@pos, or 0.  The caller has
 * checked that all 4096 bytes are there.
 */
static int find_acs_cap(const struct cfg *c, unsigned *pos)
{
	uint8_t seen[CFG_EXT_SIZE / 4] = { 0 };
	unsigned p = CFG_STD_SIZE, from = 0;

	*pos = 0;
	/* At most 960 steps: each visits a new dword of 0x100..0xfff. */
	while (p) {
		uint32_t h;

		if (p < CFG_STD_SIZE) {
			pdma__err(c->err,
				  "%s: malformed extended capability list: the header at 0x%03x points to 0x%03x, inside the standard space",
				  c->what, from, p);
			return -EINVAL;
		}
		if (seen[p / 4]) {
			pdma__err(c->err,
				  "%s: malformed extended capability list: it loops (the header at 0x%03x leads back to 0x%03x)",
				  c->what, from, p);
			return -EINVAL;
		}
		seen[p / 4] = 1;
		h = rd32(c, p);	/* p <= 0xffc: EXT_CAP_NEXT() masks it */
		/* No extended capabilities at all, or space not implemented. */
		if (h == 0 || h == 0xffffffffu)
			return 0;
		if (EXT_CAP_ID(h) == PCI_EXT_CAP_ID_ACS && !*pos) {
			if (p + ACS_CAP_NEED > CFG_EXT_SIZE) {
				pdma__err(c->err,
					  "%s: malformed extended capability list: the ACS capability at 0x%03x runs past the 4096-byte space",
					  c->what, p);
				return -EINVAL;
			}
			*pos = p;
		}
		from = p;
		p = EXT_CAP_NEXT(h);
	}
	return 0;
}

int pdma__config_decode(const uint8_t *cfg, size_t len,
			struct pdma_func_info *fi, const char *what,
			struct pdma_error *err)
{
	struct cfg c = { .b = cfg, .len = len, .what = what, .err = err };
	struct pdma_func_info out = *fi;
	unsigned exp = 0, acs = 0, list = 0, htype;
	bool cut = false, caps;
	int ret;

	if (!cfg || len < CFG_HDR_SIZE) {
		pdma__err(err,
			  "%s: only %zu bytes of configuration space, at least the 64-byte header is needed",
			  what, cfg ? len : 0);
		return -EINVAL;
	}
	out.vendor = rd16(&c, PCI_VENDOR_ID);
	out.device = rd16(&c, PCI_DEVICE_ID);
	if (out.vendor == 0xffff) {
		pdma__err(err,
			  "%s: vendor id is ffff: no function answered (the bytes are what an absent or powered-off device returns)",
			  what);
		return -EINVAL;
	}
	out.revision = cfg[PCI_REVISION_ID];
	out.class_code = rd32(&c, PCI_CLASS_REVISION) >> 8;
	htype = cfg[PCI_HEADER_TYPE] & 0x7f;
	out.header_type = (uint8_t)htype;
	out.multifunction = cfg[PCI_HEADER_TYPE] & 0x80;
	out.subsys_vendor = out.subsys_device = 0;
	out.secondary_bus = out.subordinate_bus = 0;

	switch (htype) {
	case PCI_HEADER_TYPE_NORMAL:
		out.subsys_vendor = rd16(&c, PCI_SUBSYSTEM_VENDOR_ID);
		out.subsys_device = rd16(&c, PCI_SUBSYSTEM_ID);
		decode_bars(&c, &out, 6);
		list = PCI_CAPABILITY_LIST;
		break;
	case PCI_HEADER_TYPE_BRIDGE:
		out.secondary_bus = cfg[PCI_SECONDARY_BUS];
		out.subordinate_bus = cfg[PCI_SUBORDINATE_BUS];
		decode_bars(&c, &out, 2);
		list = PCI_CAPABILITY_LIST;
		break;
	case PCI_HEADER_TYPE_CARDBUS:
		out.secondary_bus = cfg[PCI_CB_CARD_BUS];
		out.subordinate_bus = cfg[PCI_CB_SUBORDINATE_BUS];
		decode_bars(&c, &out, 1);
		list = PCI_CB_CAPABILITY_LIST;
		/* The CardBus subsystem ids sit just past the 64 bytes. */
		if (len >= PCI_CB_SUBSYSTEM_ID + 2) {
			out.subsys_vendor = rd16(&c, PCI_CB_SUBSYSTEM_VENDOR_ID);
			out.subsys_device = rd16(&c, PCI_CB_SUBSYSTEM_ID);
		}
		break;
	default:
		pdma__err(err,
			  "%s: unknown header type 0x%02x (0 = device, 1 = PCI bridge, 2 = CardBus bridge)",
			  what, htype);
		return -EINVAL;
	}

	out.pcie_type = PDMA_PCIE_NONE;
	out.link_cur.gen = out.link_cur.width = 0;
	out.link_max.gen = out.link_max.width = 0;
	out.has_acs = false;
	out.acs_cap = out.acs_ctrl = 0;

	caps = rd16(&c, PCI_STATUS) & PCI_STATUS_CAP_LIST;
	if (caps) {
		ret = find_exp_cap(&c, list, &exp, &cut);
		if (ret)
			return ret;
	}
	if (exp) {
		int type = (rd16(&c, exp + PCI_EXP_FLAGS) &
			    PCI_EXP_FLAGS_TYPE) >> 4;

		out.pcie_type = type;
		if (has_link(type)) {
			out.link_max = decode_link(rd32(&c, exp +
							PCI_EXP_LNKCAP));
			out.link_cur = decode_link(rd16(&c, exp +
							PCI_EXP_LNKSTA));
		}
		/* Only PCIe functions have the extended space (the kernel
		 * looks there only when cfg_size is 4096). */
		if (cfg_limit(&c) >= CFG_EXT_SIZE) {
			ret = find_acs_cap(&c, &acs);
			if (ret)
				return ret;
		}
	}
	if (acs) {
		out.has_acs = true;
		out.acs_cap = rd16(&c, acs + PCI_ACS_CAP);
		out.acs_ctrl = rd16(&c, acs + PCI_ACS_CTRL);
	}
	/*
	 * ACS is known when every byte where it could be was read: 256 bytes
	 * settle that a conventional function has none, a PCIe one needs the
	 * whole 4 KiB.  A list cut short by a 64-byte read knows nothing.
	 */
	out.acs_known = len >= CFG_STD_SIZE && !cut &&
			(!exp || len >= CFG_EXT_SIZE);
	*fi = out;
	return 0;
}
