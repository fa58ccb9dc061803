/* SPDX-License-Identifier: MIT */
/*
 * Vendor and device names from pciutils' ID database, through libpci.
 */
#include <stdio.h>
#include <string.h>

#include <pci/pci.h>

#include "model.h"

static void quiet(char *msg, ...)
{
	(void)msg;
}

void pdma__names_fill(struct pdma_fabric *fab)
{
	struct pci_access *pacc = NULL;

	for (int i = 0; i < fab->nr_funcs; i++) {
		struct pdma_func_info *fi = &fab->funcs[i].info;
		char vbuf[128], dbuf[128];
		const char *v, *d;

		if (fi->name[0])
			continue;
		if (!pacc) {
			pacc = pci_alloc();
			if (!pacc)
				return;
			pacc->warning = quiet;
			pacc->debug = quiet;
		}
		v = pci_lookup_name(pacc, vbuf, sizeof(vbuf),
				    PCI_LOOKUP_VENDOR | PCI_LOOKUP_NO_NUMBERS,
				    fi->vendor);
		d = pci_lookup_name(pacc, dbuf, sizeof(dbuf),
				    PCI_LOOKUP_DEVICE | PCI_LOOKUP_NO_NUMBERS,
				    fi->vendor, fi->device);
		if (v && d)
			snprintf(fi->name, sizeof(fi->name), "%.40s %.54s", v, d);
		else if (v)
			snprintf(fi->name, sizeof(fi->name), "%.40s device %04x",
				 v, fi->device);
	}
	if (pacc)
		pci_cleanup(pacc);
}
