/* SPDX-License-Identifier: MIT */
/*
 * Vendor and device names from pciutils' ID database, through libpci.
 *
 * libpci reads the database (pci.ids, several MB) on its first lookup, so
 * one handle is kept for the life of the process: names_lock serializes
 * lookups on it, since libpci's name cache is not thread-safe.  Names come
 * from pci.ids only, not udev's hwdb: the same on every machine, and
 * libpci 3.9 leaks a udev handle per hwdb miss when hwdb.bin is absent.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pci/pci.h>

#include "model.h"

static pthread_mutex_t names_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pci_access *names_pacc;	/* protected by names_lock */

static void quiet(char *msg, ...)
{
	(void)msg;
}

static void names_cleanup(void)
{
	pthread_mutex_lock(&names_lock);
	if (names_pacc)
		pci_cleanup(names_pacc);
	names_pacc = NULL;
	pthread_mutex_unlock(&names_lock);
}

/* The shared handle; called with names_lock held. */
static struct pci_access *names_handle(void)
{
	if (!names_pacc) {
		names_pacc = pci_alloc();
		if (!names_pacc)
			return NULL;
		names_pacc->warning = quiet;
		names_pacc->debug = quiet;
		atexit(names_cleanup);
	}
	return names_pacc;
}

void pdma__names_fill(struct pdma_fabric *fab)
{
	struct pci_access *pacc;

	pthread_mutex_lock(&names_lock);
	pacc = names_handle();
	for (int i = 0; pacc && i < fab->nr_funcs; i++) {
		struct pdma_func_info *fi = &fab->funcs[i].info;
		char vbuf[128], dbuf[128];
		const char *v, *d;

		if (fi->name[0])
			continue;
		v = pci_lookup_name(pacc, vbuf, sizeof(vbuf),
				    PCI_LOOKUP_VENDOR | PCI_LOOKUP_NO_NUMBERS |
					    PCI_LOOKUP_NO_HWDB,
				    fi->vendor);
		d = pci_lookup_name(pacc, dbuf, sizeof(dbuf),
				    PCI_LOOKUP_DEVICE | PCI_LOOKUP_NO_NUMBERS |
					    PCI_LOOKUP_NO_HWDB,
				    fi->vendor, fi->device);
		if (v && d)
			snprintf(fi->name, sizeof(fi->name), "%.40s %.54s", v, d);
		else if (v)
			snprintf(fi->name, sizeof(fi->name), "%.40s device %04x",
				 v, fi->device);
	}
	pthread_mutex_unlock(&names_lock);
}
