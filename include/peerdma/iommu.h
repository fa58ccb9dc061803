/* SPDX-License-Identifier: MIT */
/*
 * peerdma/iommu.h - IOMMU domains, their page tables, and the IOVA allocator.
 *
 * Two objects:
 *
 *  - struct pdma_iova_domain: an allocator of I/O virtual address ranges,
 *    counted in granules ("PFNs"), modelled on Linux drivers/iommu/iova.c:
 *    a balanced tree of allocated ranges, filled top-down from a limit, plus
 *    per-thread magazine caches ("rcache") for sizes of 1 to 32 granules.
 *
 *  - struct pdma_iommu_domain: what a device's DMA goes through: identity
 *    (the IOVA is the physical address), blocked (every access faults) or
 *    translated (a 4-level radix page table of 4 KiB pages, with read/write
 *    permissions, and an IOVA allocator for its aperture).  The router asks
 *    pdma_iommu_translate() for every transaction; a failed translation is
 *    recorded in the domain's fault log, naming the initiator and address.
 *
 * Thread safety: every call may be made from any thread, concurrently with
 * any other call on the same object, except *_destroy(), which needs the
 * caller to exclude every other use of that object.  docs/iommu.md says
 * which lock protects what.
 */
#ifndef PEERDMA_IOMMU_H
#define PEERDMA_IOMMU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------- */
/* IOVA allocator                                                          */
/* ---------------------------------------------------------------------- */

struct pdma_iova_domain;

/* Flags for pdma_iova_domain_create(). */
/*
 * Check every pdma_iova_free_fast() against the tree (under the tree lock):
 * a PFN that is not the start of an allocated range of that size class, or
 * that is already cached, is refused with -ENOENT instead of being cached.
 * Slower; for tests and debugging.  Without it, like the kernel, the fast
 * free trusts its caller.
 */
#define PDMA_IOVA_CHECK_FREE	0x1u

/* Sizes (in granules) that the per-thread caches hold: 1, 2, 4, ... 32. */
#define PDMA_IOVA_RCACHE_MAX_SIZE	32
#define PDMA_IOVA_RCACHE_CLASSES	6
/* PFNs per magazine, as in the kernel (a magazine is 1 KiB). */
#define PDMA_IOVA_MAG_SIZE		127

/**
 * pdma_iova_domain_create() - a new, empty IOVA allocator.
 * @granule:   the allocation unit in bytes: a power of two, 1 to 1 GiB
 *             (usually 4096).  PFNs count granules.
 * @start_pfn: the lowest PFN ever handed out.
 * @flags:     0 or PDMA_IOVA_CHECK_FREE.
 * @out:       set to the new allocator; NULL on error.
 *
 * Return: 0, -EINVAL for a bad granule, start_pfn or flag, -ENOMEM.
 */
int pdma_iova_domain_create(uint64_t granule, uint64_t start_pfn,
			    unsigned int flags, struct pdma_iova_domain **out);

/**
 * pdma_iova_domain_destroy() - free the allocator, every range still
 * allocated or reserved, and every thread's cache for it.
 * @iovad: the allocator, or NULL (a no-op).  Nothing else may use it now.
 */
void pdma_iova_domain_destroy(struct pdma_iova_domain *iovad);

/** pdma_iova_granule() - the granule of @iovad in bytes. */
uint64_t pdma_iova_granule(const struct pdma_iova_domain *iovad);

/**
 * pdma_iova_alloc() - allocate @size granules from the tree, top-down.
 * @iovad:        the allocator.
 * @size:         the number of granules, at least 1.
 * @limit_pfn:    the highest PFN the range may include (a DMA mask).
 * @size_aligned: align the start to @size rounded up to a power of two.
 * @pfn:          set to the first PFN of the new range.
 *
 * The range is the highest free one at or below @limit_pfn.
 *
 * Return: 0, -EINVAL for a zero @size or a @limit_pfn beyond the address
 * space, -ENOMEM when no free range fits.
 */
int pdma_iova_alloc(struct pdma_iova_domain *iovad, uint64_t size,
		    uint64_t limit_pfn, bool size_aligned, uint64_t *pfn);

/**
 * pdma_iova_free() - free the allocated range that contains @pfn.
 *
 * Return: 0, -ENOENT if @pfn is in no allocated range (never allocated,
 * already freed, or, with PDMA_IOVA_CHECK_FREE, held in a cache after
 * pdma_iova_free_fast()), -EBUSY if @pfn is in a reservation (reservations
 * last as long as @iovad).
 */
int pdma_iova_free(struct pdma_iova_domain *iovad, uint64_t pfn);

/**
 * pdma_iova_find() - the allocated or reserved range that contains @pfn.
 * @pfn_lo, @pfn_hi: set to its first and last PFN (either may be NULL).
 *
 * Return: 0, or -ENOENT if no range contains @pfn.
 */
int pdma_iova_find(struct pdma_iova_domain *iovad, uint64_t pfn,
		   uint64_t *pfn_lo, uint64_t *pfn_hi);

/**
 * pdma_iova_reserve() - take [@pfn_lo, @pfn_hi] out of the allocatable space
 * for the life of @iovad (MSI windows, bridge windows, ...).
 *
 * Reservations that overlap the new one are merged with it into a single
 * reserved range.
 *
 * Return: 0, -EINVAL if @pfn_lo > @pfn_hi or beyond the address space,
 * -EBUSY if the range overlaps an allocated (not reserved) range, -ENOMEM.
 */
int pdma_iova_reserve(struct pdma_iova_domain *iovad, uint64_t pfn_lo,
		      uint64_t pfn_hi);

/**
 * pdma_iova_alloc_fast() - allocate through the calling thread's caches.
 * @size:         granules; sizes below 32 are rounded up to a power of two
 *                (free with the same @size).  Always size-aligned.
 * @limit_pfn:    as for pdma_iova_alloc().
 * @flush_rcache: if the tree is full, empty every thread's cache and the
 *                depot back into the tree and try once more.
 * @pfn:          set to the first PFN.
 *
 * Sizes up to 32 granules are taken from the caches when they hold a PFN
 * that fits below @limit_pfn, else from the tree; larger ones always come
 * from the tree.
 *
 * Return: 0, -EINVAL, -ENOMEM.
 */
int pdma_iova_alloc_fast(struct pdma_iova_domain *iovad, uint64_t size,
			 uint64_t limit_pfn, bool flush_rcache, uint64_t *pfn);

/**
 * pdma_iova_free_fast() - give back a range from pdma_iova_alloc_fast().
 * @pfn:  its first PFN.
 * @size: the size passed to pdma_iova_alloc_fast().
 *
 * Cacheable sizes go into the calling thread's magazine (the range stays
 * allocated in the tree until a flush or trim); others are freed to the
 * tree.  Without PDMA_IOVA_CHECK_FREE a cacheable range is not checked.
 *
 * Return: 0, -EINVAL for a zero @size, -ENOENT as for pdma_iova_free().
 */
int pdma_iova_free_fast(struct pdma_iova_domain *iovad, uint64_t pfn,
			uint64_t size);

/**
 * pdma_iova_rcache_flush() - empty every thread's magazines and the depot
 * back into the tree (the kernel does this on CPU hot-unplug and on an
 * allocation failure).
 */
void pdma_iova_rcache_flush(struct pdma_iova_domain *iovad);

/**
 * pdma_iova_rcache_trim() - shrink each size class's depot to the number of
 * threads that have a cache in @iovad, freeing the PFNs of the magazines it
 * drops.  The kernel does this from a worker every 100 ms, one magazine at
 * a time; here the owner calls it when it sees fit.
 *
 * Return: the number of magazines freed.
 */
unsigned int pdma_iova_rcache_trim(struct pdma_iova_domain *iovad);

/**
 * struct pdma_iova_stats - a snapshot of an allocator.
 * @ranges:      allocated ranges in the tree (cached ones included).
 * @reserved:    reserved ranges.
 * @threads:     threads that have a cache in this allocator.
 * @cached:      PFNs held in all threads' magazines and the depots.
 * @depot:       full magazines in each size class's depot.
 * @fast_hits:   pdma_iova_alloc_fast() calls served by a cache.
 * @fast_misses: pdma_iova_alloc_fast() calls that went to the tree.
 */
struct pdma_iova_stats {
	uint64_t ranges;
	uint64_t reserved;
	unsigned int threads;
	uint64_t cached;
	unsigned int depot[PDMA_IOVA_RCACHE_CLASSES];
	uint64_t fast_hits;
	uint64_t fast_misses;
};

/** pdma_iova_get_stats() - fill @st with a snapshot of @iovad. */
void pdma_iova_get_stats(struct pdma_iova_domain *iovad,
			 struct pdma_iova_stats *st);

/* ---------------------------------------------------------------------- */
/* IOMMU domains                                                           */
/* ---------------------------------------------------------------------- */

struct pdma_iommu_domain;

enum pdma_iommu_domain_type {
	PDMA_IOMMU_DOMAIN_BLOCKED,	/* every DMA faults */
	PDMA_IOMMU_DOMAIN_IDENTITY,	/* IOVA == physical address */
	PDMA_IOMMU_DOMAIN_DMA,		/* translated by the page table */
};

/* Mapping permissions (prot). */
#define PDMA_IOMMU_READ		0x1u	/* the device may read */
#define PDMA_IOMMU_WRITE	0x2u	/* the device may write */

/* The page size of the page tables. */
#define PDMA_IOMMU_PAGE_SIZE	4096u

/**
 * struct pdma_iommu_domain_opts - optional settings of a new domain.
 * @size:          sizeof(struct pdma_iommu_domain_opts).
 * @aperture_bits: IOVA width, 32 to 48 (default 48, four table levels).
 * @iova_base:     lowest IOVA the allocator hands out (default 4096, so 0
 *                 is never a valid DMA address); page aligned.
 * @fault_log:     faults kept for reading back (default 64, at most 65536).
 * @iova_flags:    flags for the domain's IOVA allocator.
 */
struct pdma_iommu_domain_opts {
	size_t size;
	unsigned int aperture_bits;
	uint64_t iova_base;
	unsigned int fault_log;
	unsigned int iova_flags;
};

/**
 * pdma_iommu_domain_create() - a new domain with nothing mapped.
 * @type: blocked, identity or DMA.
 * @opts: NULL for the defaults; a zero member means its default.
 * @out:  set to the new domain; NULL on error.
 *
 * Return: 0, -EINVAL for a bad type or option, -ENOMEM.
 */
int pdma_iommu_domain_create(enum pdma_iommu_domain_type type,
			     const struct pdma_iommu_domain_opts *opts,
			     struct pdma_iommu_domain **out);

/**
 * pdma_iommu_domain_destroy() - free the domain, its page tables and its
 * IOVA allocator.
 * @dom: the domain, or NULL (a no-op).  Nothing else may use it now.
 */
void pdma_iommu_domain_destroy(struct pdma_iommu_domain *dom);

/** pdma_iommu_domain_type() - the type @dom was created with. */
enum pdma_iommu_domain_type
pdma_iommu_domain_type(const struct pdma_iommu_domain *dom);

/**
 * pdma_iommu_domain_iovad() - the IOVA allocator of a DMA domain: PFNs of
 * PDMA_IOMMU_PAGE_SIZE, covering the aperture from opts->iova_base.
 *
 * Return: borrowed, lives as long as @dom; NULL for other types.
 */
struct pdma_iova_domain *pdma_iommu_domain_iovad(struct pdma_iommu_domain *dom);

/**
 * pdma_iommu_aperture_end() - the last IOVA a DMA domain can map.
 */
uint64_t pdma_iommu_aperture_end(const struct pdma_iommu_domain *dom);

/**
 * pdma_iommu_map() - map [@iova, @iova + @size) to [@phys, @phys + @size).
 * @prot: PDMA_IOMMU_READ and/or PDMA_IOMMU_WRITE.
 *
 * All or nothing: on error nothing new is mapped.
 *
 * Return: 0; -EINVAL if @dom is not a DMA domain, @size is zero, @iova,
 * @phys or @size is not page aligned, or @prot is not READ|WRITE; -ERANGE
 * if the range leaves the aperture or wraps; -EEXIST if a page of the range
 * is already mapped; -ENOMEM.
 */
int pdma_iommu_map(struct pdma_iommu_domain *dom, uint64_t iova,
		   uint64_t phys, uint64_t size, unsigned int prot);

/**
 * pdma_iommu_unmap() - unmap pages from @iova on, up to @size bytes.
 *
 * Like the kernel, stops at the first page that is not mapped.
 *
 * Return: the number of bytes unmapped (0 if @iova is not mapped), or
 * -EINVAL if @dom is not a DMA domain or @iova or @size is not page aligned.
 */
int64_t pdma_iommu_unmap(struct pdma_iommu_domain *dom, uint64_t iova,
			 uint64_t size);

/**
 * pdma_iommu_iova_to_phys() - look up one address (no fault is recorded).
 *
 * Return: 0 with *@phys set, -ENOENT if not mapped (always for a blocked
 * domain).
 */
int pdma_iommu_iova_to_phys(struct pdma_iommu_domain *dom, uint64_t iova,
			    uint64_t *phys);

/**
 * pdma_iommu_translate() - translate one DMA access, as the router does.
 * @dom:        the domain of the initiator's IOMMU group.
 * @initiator:  who accesses (opaque to the IOMMU; usually the requester
 *              ID, bus << 8 | devfn); recorded with a fault.
 * @iova:       the address the device put on the bus.
 * @len:        bytes it accesses from there, at least 1.
 * @write:      a write (needs PDMA_IOMMU_WRITE) or a read (needs READ).
 * @phys:       set to the physical address of @iova.
 * @contig_len: set to how many bytes from @phys, at most @len, are mapped
 *              contiguously with the needed permission; call again at
 *              @iova + *@contig_len for the rest.
 *
 * Return: 0; -EFAULT if @iova is not mapped (or the domain blocks, or the
 * access wraps the address space), -EACCES if it is mapped without the
 * permission; both record a fault.  -EINVAL for a zero @len.
 */
int pdma_iommu_translate(struct pdma_iommu_domain *dom, uint32_t initiator,
			 uint64_t iova, uint64_t len, bool write,
			 uint64_t *phys, uint64_t *contig_len);

/** Why a translation failed. */
enum pdma_iommu_fault_reason {
	PDMA_IOMMU_FAULT_UNMAPPED,	/* no mapping at the address */
	PDMA_IOMMU_FAULT_PERM,		/* mapped without the permission */
	PDMA_IOMMU_FAULT_BLOCKED,	/* the domain blocks all DMA */
	PDMA_IOMMU_FAULT_RANGE,		/* outside the aperture, or wraps */
};

/**
 * struct pdma_iommu_fault - one recorded fault.
 * @seq:       its number: 0 for the domain's first fault.
 * @initiator: as passed to pdma_iommu_translate().
 * @iova:      the faulting address (the first byte the access could not
 *             use).
 * @reason:    why.
 * @write:     a write access (else a read).
 * @prot:      for PDMA_IOMMU_FAULT_PERM, the permissions the page has.
 */
struct pdma_iommu_fault {
	uint64_t seq;
	uint32_t initiator;
	uint64_t iova;
	enum pdma_iommu_fault_reason reason;
	bool write;
	unsigned int prot;
};

/**
 * pdma_iommu_fault_count() - faults recorded in @dom since it was created
 * (the log keeps only the most recent opts->fault_log of them).
 */
uint64_t pdma_iommu_fault_count(struct pdma_iommu_domain *dom);

/**
 * pdma_iommu_fault_get() - read back fault number @seq.
 *
 * Return: 0 with *@out filled, -ENOENT if fault @seq has not happened yet
 * or has been pushed out of the log by later ones.
 */
int pdma_iommu_fault_get(struct pdma_iommu_domain *dom, uint64_t seq,
			 struct pdma_iommu_fault *out);

/**
 * pdma_iommu_fault_format() - @f as one line for people, e.g.
 * "IOMMU fault #3: initiator 03:00.0 write at IOVA 0x12345000: not mapped".
 *
 * Return: the length snprintf() would produce.
 */
int pdma_iommu_fault_format(const struct pdma_iommu_fault *f, char *buf,
			    size_t len);

/** pdma_iommu_fault_reason_name() - "not mapped", "no write permission"... */
const char *pdma_iommu_fault_reason_name(enum pdma_iommu_fault_reason r,
					 bool write);

#ifdef __cplusplus
}
#endif
#endif /* PEERDMA_IOMMU_H */
