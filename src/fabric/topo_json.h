/* SPDX-License-Identifier: MIT */
/*
 * The topology-file schema (docs/topology-format.md), shared by the JSON
 * loader and exporter: the names of kinds, classes, CPU vendors and IOMMU
 * types, and the text forms of sizes and links.  Both directions use these
 * tables, so what the exporter writes is what the loader reads back.
 */
#ifndef PDMA_FABRIC_TOPO_JSON_H
#define PDMA_FABRIC_TOPO_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "model.h"

#define PDMA_TOPO_SCHEMA "peerdma-topology/1"

/*
 * A "kind": shorthand for a (header type, PCIe port type) pair and the
 * class a function of that kind has when the file gives none.
 */
struct pdma_topo_kind {
	const char *name;
	uint8_t header_type;
	int pcie_type;
	uint32_t class_code;	/* default class */
};

/* The canonical kinds, in the order the exporter tries them; NULL-ended. */
PDMA_INTERNAL extern const struct pdma_topo_kind pdma__topo_kinds[];

/* A kind by name (aliases too), NULL if unknown. */
PDMA_INTERNAL const struct pdma_topo_kind *pdma__topo_kind_find(const char *name);

/* The canonical kind for a header type byte and port type, NULL if none. */
PDMA_INTERNAL const struct pdma_topo_kind *
pdma__topo_kind_of(uint8_t header_type, int pcie_type);

/* A class name ("nvme", "gpu", ...) to its 24-bit code; -EINVAL if unknown. */
PDMA_INTERNAL int pdma__topo_class_parse(const char *name, uint32_t *code);

/* The list of class names, for error messages. */
PDMA_INTERNAL const char *pdma__topo_class_names(void);

/* "intel", "amd", "other", "unknown". */
PDMA_INTERNAL const char *pdma__topo_cpu_name(enum pdma_cpu_vendor v);
PDMA_INTERNAL int pdma__topo_cpu_parse(const char *s, enum pdma_cpu_vendor *v);

/* "none", "DMA", "identity", "blocked", "unmanaged" ("DMA-FQ" reads as DMA). */
PDMA_INTERNAL int pdma__topo_iommu_parse(const char *s,
					 enum pdma_iommu_type *t);

/*
 * Sizes: "16M", "4K", "1G", "16MiB", "0x1000000", "4096".  Units are
 * binary.  pdma__topo_size_parse() returns 0, -EINVAL (with a reason in
 * @why) or -ERANGE.
 */
PDMA_INTERNAL int pdma__topo_size_parse(const char *s, uint64_t *out,
					const char **why);
/* The exact shortest form: "16M"; "" when @v is not a multiple of 1 KiB. */
PDMA_INTERNAL void pdma__topo_size_format(uint64_t v, char *buf, size_t len);

/*
 * Links: "gen4 x16", "gen3", "x8", "16GT/s x16", "2.5 GT/s x1".
 * Return 0 or -EINVAL; gen and width are range-checked (gen 1..6, width
 * 1..32).
 */
PDMA_INTERNAL int pdma__topo_link_parse(const char *s, struct pdma_link *out);
/* "gen4 x16", "gen4", "x16"; "" when both are unknown. */
PDMA_INTERNAL void pdma__topo_link_format(struct pdma_link l, char *buf,
					  size_t len);

/*
 * Unsigned numbers given as text: "0x1b36" or "42" (no sign, no spaces).
 * Return 0 or -EINVAL.
 */
PDMA_INTERNAL int pdma__topo_parse_u64(const char *s, uint64_t *out);

#endif /* PDMA_FABRIC_TOPO_JSON_H */
