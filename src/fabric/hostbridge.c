/* SPDX-License-Identifier: MIT */
/*
 * The host-bridge allow-list and the CPU rule: when may a transaction cross
 * the root complex (map type THRU_HOST_BRIDGE)?
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "verdict_internal.h"

#define ANY_DEVICE (-1)
#define REQ_SAME_HOST_BRIDGE 0x1u

struct hb_entry {
	uint16_t vendor;
	int device;
	unsigned flags;
};

/* Linux 6.12, drivers/pci/p2pdma.c pci_p2pdma_whitelist[]. */
static const struct hb_entry list_v6_12[] = {
	/* Intel Xeon E5/Core i7 */
	{ 0x8086, 0x3c00, REQ_SAME_HOST_BRIDGE },
	{ 0x8086, 0x3c01, REQ_SAME_HOST_BRIDGE },
	/* Intel Xeon E7 v3/Xeon E5 v3/Core i7 */
	{ 0x8086, 0x2f00, REQ_SAME_HOST_BRIDGE },
	{ 0x8086, 0x2f01, REQ_SAME_HOST_BRIDGE },
	/* Intel Skylake-E */
	{ 0x8086, 0x2030, 0 },
	{ 0x8086, 0x2031, 0 },
	{ 0x8086, 0x2032, 0 },
	{ 0x8086, 0x2033, 0 },
	{ 0x8086, 0x2020, 0 },
	{ 0x8086, 0x09a2, 0 },
	{ 0, 0, 0 },
};

/*
 * What the newest kernels (about 7.0) added after 6.12's entries:
 * integrated accelerators, NVIDIA and Google.  None matches a 6.12 entry,
 * so looking at 6.12's list first and then at these is the newest list.
 */
static const struct hb_entry list_added_later[] = {
	{ 0x8086, 0x0b25, 0 },	/* DSA SPR0 */
	{ 0x8086, 0x0cfe, 0 },	/* IAX SPR0 */
	{ 0x8086, 0x11fb, 0 },	/* DSA GNRD */
	{ 0x8086, 0x1212, 0 },	/* DSA DMR */
	{ 0x8086, 0x1216, 0 },	/* IAA DMR */
	{ 0x8086, 0x4940, 0 },	/* QAT 4xxx */
	{ 0x8086, 0x4942, 0 },	/* QAT 401xx */
	{ 0x8086, 0x4944, 0 },	/* QAT 402xx */
	{ 0x8086, 0x4946, 0 },	/* QAT 420xx */
	{ 0x8086, 0x4948, 0 },	/* QAT 6xxx */
	{ 0x10de, 0x2f95, 0 },	/* NVIDIA */
	{ 0x10de, 0x2f96, 0 },
	{ 0x10de, 0x2f97, 0 },
	{ 0x10de, 0x2f98, 0 },
	{ 0x1ae0, ANY_DEVICE, 0 },	/* Google SoCs */
	{ 0, 0, 0 },
};

const char *pdma_rules_name(enum pdma_rules rules)
{
	return rules == PDMA_RULES_LATEST ?
		       "Linux 7.0 (drivers/pci/p2pdma.c, allow-list with DSA/IAA/QAT, NVIDIA and Google entries)" :
		       "Linux 6.12 (drivers/pci/p2pdma.c)";
}

int pdma_rules_parse(const char *s, enum pdma_rules *out)
{
	if (!strcmp(s, "6.12") || !strcmp(s, "v6.12")) {
		*out = PDMA_RULES_V6_12;
		return 0;
	}
	if (!strcmp(s, "latest") || !strcmp(s, "7.0") || !strcmp(s, "v7.0")) {
		*out = PDMA_RULES_LATEST;
		return 0;
	}
	return -EINVAL;
}

void pdma_fabric_set_rules(struct pdma_fabric *fab, enum pdma_rules rules)
{
	fab->rules = rules;
	pdma__fabric_changed(fab);
}

enum pdma_rules pdma_fabric_rules(const struct pdma_fabric *fab)
{
	return fab->rules;
}

/* cpu_supports_p2pdma(): x86 AMD, family 0x17 (Zen) or newer, of CPU 0. */
bool pdma__cpu_supports_p2pdma(const struct pdma_fabric *fab)
{
	return fab->platform.cpu_vendor == PDMA_CPU_AMD &&
	       fab->platform.cpu_family >= 0x17;
}

/*
 * __host_bridge_whitelist(): look the host bridge's root device up; the
 * first matching entry decides.
 */
/* The first entry of @e matching @root, or NULL. */
static const struct hb_entry *lookup(const struct hb_entry *e,
				    const struct pdma_func_info *root)
{
	for (; e->vendor; e++)
		if (root->vendor == e->vendor &&
		    (e->device == ANY_DEVICE || root->device == e->device))
			return e;
	return NULL;
}

enum pdma_hb_status pdma__hb_status(const struct pdma_fabric *fab, int hb,
				    bool same)
{
	const struct pdma_func_info *root;
	const struct hb_entry *e;
	int rf = fab->hbs[hb].info.root_func;

	if (rf == PDMA_NONE)
		return PDMA_HB_NO_ROOT;
	root = &fab->funcs[rf].info;
	e = lookup(list_v6_12, root);
	if (!e && fab->rules == PDMA_RULES_LATEST)
		e = lookup(list_added_later, root);
	if (!e)
		return PDMA_HB_NOT_LISTED;
	if ((e->flags & REQ_SAME_HOST_BRIDGE) && !same)
		return PDMA_HB_REQ_SAME;
	return PDMA_HB_OK;
}
