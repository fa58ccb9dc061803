/* SPDX-License-Identifier: MIT */
/*
 * Built-in machines as compact tables, and the builder that turns a table
 * into a fabric through the public builder (pdma_fabric_add_*, finalize).
 *
 * A table lists host bridges and functions.  Parents are not written down:
 * finalize finds them from the bridges' secondary bus numbers, as the
 * kernel's enumeration does.  BAR addresses, NUMA nodes and IOMMU groups
 * are derived by the builder, so a row says only what differs between
 * functions: address, kind, device type, link and ACS state.
 */
#ifndef PDMA_FABRIC_PRESET_H
#define PDMA_FABRIC_PRESET_H

#include "model.h"

/* What a row is: decides header type and PCIe port type. */
enum preset_kind {
	PK_EP,		/* endpoint (or RCiEP when on a root bus) */
	PK_RP,		/* root port */
	PK_USP,		/* switch upstream port */
	PK_DSP,		/* switch downstream port */
};

/* Row flags. */
#define PF_MF		0x01	/* function of a multifunction device */
#define PF_ACS		0x02	/* has an ACS capability, control word 0 */
#define PF_ACS_ON	0x06	/* ACS with SV|RR|CR|UF, as the kernel
				 * enables it when an IOMMU is on */

/* One BAR of a device type: its slot, size and PDMA_BAR_* flags. */
struct preset_bar {
	uint8_t slot;
	uint8_t flags;
	uint64_t size;
};

/* A kind of device: everything its instances share. */
struct preset_dev {
	uint16_t vendor, device;
	uint16_t subsys_vendor, subsys_device;
	uint8_t revision;
	uint32_t class_code;
	const char *name;
	const char *driver;
	struct pdma_link link_max;
	bool conventional;		/* no PCIe capability (chipset) */
	uint16_t acs_cap;		/* when a row asks for ACS */
	uint64_t cmb;			/* bytes published as p2pmem, or 0 */
	struct preset_bar bars[3];	/* size 0 ends the list */
};

/* One function. */
struct preset_row {
	uint8_t bus, dev, fn;
	uint8_t kind;			/* enum preset_kind */
	uint8_t sec, sub;		/* bridges: secondary, subordinate */
	uint8_t flags;			/* PF_* */
	const struct preset_dev *type;
	struct pdma_link link;		/* current link; {0, 0} = at max */
};

/* One host bridge and its address windows. */
struct preset_hb {
	uint8_t bus;
	int8_t numa_node;
	const char *firmware_path;
	uint32_t mmio32;		/* 32-bit window: non-prefetchable BARs */
	uint64_t mmio64;		/* 64-bit prefetchable window */
};

struct preset_machine {
	const char *name;
	const char *description;
	enum pdma_cpu_vendor cpu_vendor;
	int cpu_family;
	const char *cpu_model;
	bool iommu;			/* groups get DMA domains */
	const char *cmdline;
	const struct preset_hb *hbs;
	int nr_hbs;
	const struct preset_row *rows;
	int nr_rows;
};

/* preset_machines.c */
PDMA_INTERNAL extern const struct preset_machine pdma__preset_dgx_like;
PDMA_INTERNAL extern const struct preset_machine pdma__preset_workstation;
PDMA_INTERNAL extern const struct preset_machine pdma__preset_amd_storage;

/**
 * pdma__preset_build() - build and finalize the fabric a table describes.
 * Return: 0, or -errno with @err filled and *@out NULL.
 */
PDMA_INTERNAL int pdma__preset_build(const struct preset_machine *m,
				     struct pdma_fabric **out,
				     struct pdma_error *err);

#endif /* PDMA_FABRIC_PRESET_H */
