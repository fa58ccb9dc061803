/* SPDX-License-Identifier: MIT */
/*
 * The text of `lspci -x`/`-xxx`/`-xxxx` dumps, shared by load_lspci.c
 * (files, platform, notes) and lspci_parse.c (the lines).
 */
#ifndef PDMA_FABRIC_LSPCI_H
#define PDMA_FABRIC_LSPCI_H

#include <stddef.h>

#include "model.h"

/**
 * struct pdma__lspci_stats - what the notes of a loaded dump need.
 * @nr_funcs:     functions added.
 * @nr_short:     functions with fewer than 256 bytes (lspci -x, not root).
 * @nr_no_ext:    PCIe functions with fewer than 4096 bytes (lspci -xxx).
 * @first_short, @first_no_ext: the first of each, as "BB:DD.F".
 */
struct pdma__lspci_stats {
	int nr_funcs;
	int nr_short;
	int nr_no_ext;
	char first_short[16], first_no_ext[16];
};

/**
 * pdma__lspci_parse() - add every function of a dump to @fab.
 * @buf, @len: the text (need not be NUL-terminated).
 * @name:      the file, for "NAME:LINE: reason" errors.
 * @fab:       not finalized; receives the functions (parent and host
 *             bridge PDMA_AUTO, NUMA node and IOMMU group -1) and a note
 *             for the first of lspci's own warnings ("lspci: ...").
 * @st:        receives the counts.
 *
 * Return: 0, -EINVAL with @err for malformed text (@fab then holds what
 * was added before: the caller destroys it), -ENOMEM.
 */
PDMA_INTERNAL int pdma__lspci_parse(const char *buf, size_t len,
				    const char *name, struct pdma_fabric *fab,
				    struct pdma__lspci_stats *st,
				    struct pdma_error *err);

#endif /* PDMA_FABRIC_LSPCI_H */
