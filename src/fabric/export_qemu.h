/* SPDX-License-Identifier: MIT */
/*
 * Private state of the QEMU exporter: export_qemu.c writes the device tree,
 * export_qemu_head.c the machine around it (q35, CPU, NUMA, IOMMU, pxb-pcie
 * host bridges) and the closing notes.
 */
#ifndef PDMA_FABRIC_EXPORT_QEMU_H
#define PDMA_FABRIC_EXPORT_QEMU_H

#include <stdio.h>

#include "topo_json.h"
#include "verdict_internal.h"

/* pxb_addr[] values besides a slot number on bus 0. */
#define QEMU_HB_PCIE0	(-1)	/* the q35 root bus itself */
#define QEMU_HB_SKIP	(-2)	/* cannot be modelled */

struct qctx {
	const struct pdma_fabric *fab;
	FILE *f;		/* the device lines */
	char (*id)[32];		/* QEMU id per function */
	int *pxb_addr;		/* per host bridge: slot of its pxb-pcie */
	int chassis;		/* last chassis number given out */
	int nr_nic;
	char *skipped;		/* " BDF" of chipset functions left out */
	size_t skipped_len;
	char *disks;		/* " disks/x.img" of every NVMe drive */
	size_t disks_len;
};

/* export_qemu.c: append @add to a growing string (dropped on ENOMEM). */
PDMA_INTERNAL void pdma__qemu_append(char **s, size_t *len, const char *add);

/* export_qemu_head.c */
/* Place every host bridge: pcie.0, a pxb-pcie slot, or skipped. */
PDMA_INTERNAL int pdma__qemu_plan(struct qctx *q);
/* How to run, -M, -cpu, NUMA nodes, the IOMMU and the pxb-pcie devices. */
PDMA_INTERNAL int pdma__qemu_head(struct qctx *q, FILE *f);
/* The functions left out, and the disk images to create. */
PDMA_INTERNAL int pdma__qemu_tail(struct qctx *q, FILE *f);

#endif /* PDMA_FABRIC_EXPORT_QEMU_H */
