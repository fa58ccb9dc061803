/* SPDX-License-Identifier: MIT */
/*
 * An IOMMU page table: a 4-level radix tree of 512-entry tables over a
 * 48-bit IOVA space, 4 KiB pages, like x86-64 and ARM LPAE tables.  Tables
 * exist only where something is mapped and are freed when they empty, so
 * memory and time are proportional to what is mapped.  No locking: the
 * owning domain serializes (see domain.c).
 */
#ifndef PDMA_IOMMU_PGTABLE_H
#define PDMA_IOMMU_PGTABLE_H

#include <stdint.h>

#ifndef PDMA_INTERNAL
#define PDMA_INTERNAL __attribute__((visibility("hidden")))
#endif

#define PDMA__PT_LEVELS		4
#define PDMA__PT_BITS		9
#define PDMA__PT_ENTRIES	(1u << PDMA__PT_BITS)
#define PDMA__PT_PAGE_SHIFT	12
#define PDMA__PT_PAGE		(1ULL << PDMA__PT_PAGE_SHIFT)
#define PDMA__PT_VA_BITS	48

/* A leaf entry: the page's physical address | permissions | valid. */
#define PDMA__PTE_VALID		0x1ULL
#define PDMA__PTE_READ		0x2ULL		/* == PDMA_IOMMU_READ << 1 */
#define PDMA__PTE_WRITE		0x4ULL		/* == PDMA_IOMMU_WRITE << 1 */
#define PDMA__PTE_ADDR(pte)	((pte) & ~(PDMA__PT_PAGE - 1))
#define PDMA__PTE_PROT(pte)	((unsigned int)(((pte) >> 1) & 0x3))

struct pdma__pt_table {
	unsigned int used;			/* valid entries */
	union {
		struct pdma__pt_table *child[PDMA__PT_ENTRIES];	/* levels 0-2 */
		uint64_t pte[PDMA__PT_ENTRIES];			/* level 3 */
	};
};

struct pdma__pgtable {
	struct pdma__pt_table *root;
	uint64_t mapped_pages;
	uint64_t tables;
};

/*
 * Map the pages of [iova, iova + size) to [phys, ...) with @prot
 * (PDMA_IOMMU_READ/WRITE).  The caller has checked alignment and range.
 * All or nothing.  Return: 0, -EEXIST, -ENOMEM.
 */
PDMA_INTERNAL int pdma__pt_map(struct pdma__pgtable *pt, uint64_t iova,
			       uint64_t phys, uint64_t size, unsigned int prot);
/* Unmap from @iova up to @size bytes, stopping at a hole; return bytes. */
PDMA_INTERNAL uint64_t pdma__pt_unmap(struct pdma__pgtable *pt, uint64_t iova,
				      uint64_t size);
/* The leaf entry of the page holding @iova; 0 if none. */
PDMA_INTERNAL uint64_t pdma__pt_lookup(const struct pdma__pgtable *pt,
				       uint64_t iova);
/*
 * Bytes from @iova, at most @len, mapped to consecutive physical addresses
 * with every permission in @need (PDMA__PTE_*).  The page of @iova must be
 * mapped with @need.
 */
PDMA_INTERNAL uint64_t pdma__pt_extent(const struct pdma__pgtable *pt,
				       uint64_t iova, uint64_t len,
				       uint64_t need);
/* Free every table. */
PDMA_INTERNAL void pdma__pt_destroy(struct pdma__pgtable *pt);

struct pdma_iommu_domain;
/* domain.c: page-table tables and mapped pages of a domain (for tests). */
PDMA_INTERNAL void pdma__iommu_pt_usage(struct pdma_iommu_domain *dom,
					uint64_t *tables, uint64_t *pages);

#endif /* PDMA_IOMMU_PGTABLE_H */
