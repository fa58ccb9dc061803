/* SPDX-License-Identifier: MIT */
/*
 * peerdma/mem.h - memory regions and peer-to-peer memory (p2pmem).
 *
 * A region is shared memory backed by a memfd: emulated RAM or the backing
 * of an emulated device's BAR, which a daemon can later hand to another
 * process as a file descriptor.
 *
 * p2pmem follows the kernel's drivers/pci/p2pdma.c: a provider is a PCI
 * function whose BARs (each backed by a region) are described with
 * pdma_p2pmem_set_bar(); pdma_p2pmem_add_resource() adds part of a BAR to
 * the provider's pool; the provider publishes it; clients allocate from the
 * pool, turn pointers into bus addresses and find the closest provider with
 * pdma_p2pmem_find_many().  pdma_p2pmem_remove() revokes the pool and waits
 * until every allocation is freed and every reference dropped, like the
 * kernel's unbind.
 *
 * Pointers handed out are addresses in this process, inside the BAR's
 * region.  "CPU address" below is the emulated CPU physical address of the
 * BAR, and the bus address is what a peer's DMA engine programs:
 * bus = CPU address + bus_offset, as in the kernel.
 *
 * Thread safety: every p2pmem call may run concurrently with any other on
 * the same provider.  Regions are single-owner objects.
 */
#ifndef PEERDMA_MEM_H
#define PEERDMA_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <peerdma/fabric.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- regions -------------------------------------------------------- */

struct pdma_region;

/**
 * pdma_region_create() - shared memory backed by a memfd.
 * @name: shown in /proc/<pid>/fd and maps ("memfd:<name>"); NULL for
 *        "peerdma"; at most 249 bytes.
 * @size: bytes, rounded up to the page size; must not be 0.
 * @out:  receives the region; release with pdma_region_destroy().
 *
 * The memory is zero-filled, mapped read/write and MAP_SHARED, and its size
 * is sealed (F_SEAL_SHRINK | F_SEAL_GROW): whoever receives the fd can map
 * it but cannot truncate it under us.
 *
 * Return: 0, -EINVAL (zero size, too large, name too long), or the errno of
 * memfd_create(), ftruncate() or mmap() (-ENOMEM, -EMFILE, ...).
 */
int pdma_region_create(const char *name, size_t size,
		       struct pdma_region **out);

/** pdma_region_destroy() - unmap and close (NULL is a no-op). */
void pdma_region_destroy(struct pdma_region *r);

/** pdma_region_fd() - the memfd; owned by @r, dup() it to keep it. */
int pdma_region_fd(const struct pdma_region *r);

/** pdma_region_base() - where the region is mapped in this process. */
void *pdma_region_base(const struct pdma_region *r);

/** pdma_region_size() - bytes, a multiple of the page size. */
size_t pdma_region_size(const struct pdma_region *r);

/** pdma_page_size() - the page size allocations are rounded to. */
size_t pdma_page_size(void);

/* ---- p2pmem providers ------------------------------------------------- */

struct pdma_p2pmem_provider;
/* One allocation, as a reference holder sees it. */
struct pdma_p2pmem_block;

/**
 * struct pdma_p2pmem_bar - one BAR of a provider.
 * @size:     sizeof(struct pdma_p2pmem_bar).
 * @flags:    PDMA_BAR_* (fabric.h); only PDMA_BAR_MEM BARs can give memory.
 * @region:   its backing, borrowed: it must outlive the provider's pool,
 *            i.e. be destroyed only after pdma_p2pmem_remove() returned
 *            (or the last provider reference is gone).  NULL for a BAR that
 *            is not memory.
 * @len:      BAR length in bytes; 0 means the region's size.  At most the
 *            region's size.
 * @cpu_addr: the BAR's CPU physical address (emulated).
 * @bus_addr: the BAR's PCI bus address; bus_offset = bus_addr - cpu_addr.
 */
struct pdma_p2pmem_bar {
	size_t size;
	unsigned flags;
	struct pdma_region *region;
	uint64_t len;
	uint64_t cpu_addr;
	uint64_t bus_addr;
};

/**
 * pdma_p2pmem_provider_create() - a provider for function @func of @fab.
 * @fab:  the fabric the function lives on, borrowed (it must outlive the
 *        provider); NULL for a provider on no fabric, which
 *        pdma_p2pmem_find_many() never picks.
 * @func: index in @fab (ignored when @fab is NULL).
 * @out:  receives the provider with one reference (the owner's).
 *
 * Return: 0, -EINVAL for a function @fab does not have, -ENOMEM.
 */
int pdma_p2pmem_provider_create(struct pdma_fabric *fab, int func,
				struct pdma_p2pmem_provider **out);

/** pdma_p2pmem_provider_get() - take a reference; returns @prov. */
struct pdma_p2pmem_provider *
pdma_p2pmem_provider_get(struct pdma_p2pmem_provider *prov);

/**
 * pdma_p2pmem_provider_put() - drop a reference (NULL is a no-op).  The
 * last one frees the provider and its pool.  Every allocation holds a
 * provider reference, so the last put cannot come while memory is out.
 */
void pdma_p2pmem_provider_put(struct pdma_p2pmem_provider *prov);

/** pdma_p2pmem_provider_func() - the function index given at create. */
int pdma_p2pmem_provider_func(const struct pdma_p2pmem_provider *prov);

/**
 * pdma_p2pmem_set_bar() - describe BAR @bar (pcim_p2pdma_init() records
 * the owner and bus_offset of each BAR in the same way).
 * @desc: copied.
 *
 * Return: 0; -EINVAL for @bar outside 0..5, a wrong @desc->size, a memory
 * BAR without a region, @len larger than the region or an address range
 * that wraps; -EBUSY if memory of this BAR is already in the pool;
 * -ENODEV after pdma_p2pmem_remove().
 */
int pdma_p2pmem_set_bar(struct pdma_p2pmem_provider *prov, int bar,
			const struct pdma_p2pmem_bar *desc);

/**
 * pdma_p2pmem_bus_offset() - bus address minus CPU address of BAR @bar
 * (0 for a BAR never described).
 */
int64_t pdma_p2pmem_bus_offset(struct pdma_p2pmem_provider *prov, int bar);

/**
 * pdma_p2pmem_add_resource() - pci_p2pdma_add_resource(): add @size bytes
 * of BAR @bar, from @offset, to the pool.
 * @size: 0 means the rest of the BAR.
 *
 * Each call adds one chunk; several BARs or parts of one BAR may be added.
 * The chunk must start and end on a page boundary of the region.
 *
 * Return: 0; -EINVAL if @bar is out of range, not described or not memory,
 * if @offset >= BAR length, if @offset + @size > BAR length, or if the
 * chunk is not page aligned; -EBUSY if it overlaps memory already added;
 * -ENODEV after pdma_p2pmem_remove(); -ENOMEM.
 */
int pdma_p2pmem_add_resource(struct pdma_p2pmem_provider *prov, int bar,
			     uint64_t size, uint64_t offset);

/**
 * pdma_p2pmem_publish() - pci_p2pmem_publish(): make the pool visible to
 * pdma_p2pmem_find_many() (or hide it again).  Unpublished memory is the
 * registering driver's private memory; it can still be allocated.
 *
 * Return: 0 or -ENODEV after pdma_p2pmem_remove().
 */
int pdma_p2pmem_publish(struct pdma_p2pmem_provider *prov, bool publish);

/**
 * pdma_p2pmem_has_p2pmem() - pci_has_p2pmem(): the provider is live, has a
 * pool (at least one resource) and the pool is published.
 */
bool pdma_p2pmem_has_p2pmem(struct pdma_p2pmem_provider *prov);

/**
 * pdma_p2pmem_stat() - what sysfs p2pmem/{size,available,published} show.
 * @out: present = live and has a pool; size and available in bytes (0
 *       after remove).
 */
void pdma_p2pmem_stat(struct pdma_p2pmem_provider *prov,
		      struct pdma_p2pmem *out);

/**
 * pdma_p2pmem_metadata_bytes() - bytes of bookkeeping the provider holds:
 * itself, its chunks and one extent record per allocation and per free
 * extent.  Grows with the number of allocations, not with the pool size.
 */
size_t pdma_p2pmem_metadata_bytes(struct pdma_p2pmem_provider *prov);

/* ---- allocation ------------------------------------------------------- */

/**
 * pdma_p2pmem_alloc() - pci_alloc_p2pmem(): @size bytes, rounded up to
 * pages, contiguous, the lowest-addressed free extent that fits.
 * @out: receives the CPU pointer (in this process).
 *
 * The allocation holds a reference on the provider's pool until it is
 * freed and every reference taken on it is dropped.
 *
 * Return: 0, -EINVAL for size 0, -ENODEV if the provider has no pool or is
 * being removed, -ENOMEM if no free extent is large enough.
 */
int pdma_p2pmem_alloc(struct pdma_p2pmem_provider *prov, size_t size,
		      void **out);

/**
 * pdma_p2pmem_free() - pci_free_p2pmem(): give back what alloc returned.
 * @size: the size asked for at alloc (compared in pages, as the kernel's
 *        genalloc does).
 *
 * The memory goes back to the pool once every reference taken with
 * pdma_p2pmem_get() is dropped too.
 *
 * Return: 0, or -EINVAL if @ptr is not the start of a live allocation of
 * this provider or @size does not match.
 */
int pdma_p2pmem_free(struct pdma_p2pmem_provider *prov, void *ptr,
		     size_t size);

/**
 * pdma_p2pmem_virt_to_bus() - pci_p2pmem_virt_to_bus(): the bus address of
 * @ptr, which must lie in a chunk of the pool.
 *
 * Return: the bus address, or 0 for NULL, an address outside the pool, or a
 * provider being removed (no p2pdma state).
 */
uint64_t pdma_p2pmem_virt_to_bus(struct pdma_p2pmem_provider *prov,
				 const void *ptr);

/** pdma_p2pmem_virt_to_phys() - the same, for the CPU physical address. */
uint64_t pdma_p2pmem_virt_to_phys(struct pdma_p2pmem_provider *prov,
				  const void *ptr);

/** struct pdma_p2pmem_sge - one scatter-gather entry (CPU side). */
struct pdma_p2pmem_sge {
	void *addr;
	size_t len;
};

/**
 * pdma_p2pmem_alloc_sgl() - pci_p2pmem_alloc_sgl(): one contiguous block as
 * a one-entry list.
 * @sgl:   receives a malloc'ed list; free with pdma_p2pmem_free_sgl().
 * @nents: receives 1.
 *
 * Return: 0 or the errors of pdma_p2pmem_alloc().
 */
int pdma_p2pmem_alloc_sgl(struct pdma_p2pmem_provider *prov, size_t size,
			  struct pdma_p2pmem_sge **sgl, unsigned *nents);

/**
 * pdma_p2pmem_free_sgl() - free every entry of @sgl, then the list (NULL
 * is a no-op).
 */
void pdma_p2pmem_free_sgl(struct pdma_p2pmem_provider *prov,
			  struct pdma_p2pmem_sge *sgl, unsigned nents);

/* ---- references, DMA access and teardown ------------------------------ */

/**
 * pdma_p2pmem_get() - a reference on the live allocation that holds
 * [@ptr, @ptr + @len), for a mapping or any user other than the owner.
 * @out: receives the block; drop with pdma_p2pmem_put().
 *
 * While referenced, the block's memory is not reused even if the owner
 * frees it, and pdma_p2pmem_remove() waits.
 *
 * Return: 0; -EINVAL for NULL or @len 0; -EFAULT if the range is not inside
 * one live allocation; -ENODEV once the provider is revoked.
 */
int pdma_p2pmem_get(struct pdma_p2pmem_provider *prov, const void *ptr,
		    size_t len, struct pdma_p2pmem_block **out);

/** pdma_p2pmem_put() - drop a reference (NULL is a no-op). */
void pdma_p2pmem_put(struct pdma_p2pmem_block *blk);

/**
 * pdma_p2pmem_block_revoked() - true once the provider is being removed:
 * whoever holds @blk must stop using it and put it.
 */
bool pdma_p2pmem_block_revoked(const struct pdma_p2pmem_block *blk);

/** pdma_p2pmem_block_addr() / _size() - the whole allocation. */
void *pdma_p2pmem_block_addr(const struct pdma_p2pmem_block *blk);
size_t pdma_p2pmem_block_size(const struct pdma_p2pmem_block *blk);

/**
 * pdma_p2pmem_access_begin() - a DMA engine is about to touch
 * [@ptr, @ptr + @len): pin it for the duration of the transfer.
 * @out: receives the block to pass to pdma_p2pmem_access_end().
 *
 * Return: 0, or as pdma_p2pmem_get(): -ENODEV once revoked, so a DMA to a
 * revoked region fails cleanly; -EFAULT for a range that is not allocated.
 */
int pdma_p2pmem_access_begin(struct pdma_p2pmem_provider *prov,
			     const void *ptr, size_t len,
			     struct pdma_p2pmem_block **out);

/** pdma_p2pmem_access_end() - the transfer is over. */
void pdma_p2pmem_access_end(struct pdma_p2pmem_block *blk);

/**
 * pdma_p2pmem_remove() - the driver unbinds: revoke and wait.
 *
 * At once: new allocations and references fail with -ENODEV, the pool is
 * unpublished, virt_to_bus returns 0 and every block reports revoked.
 * Then it blocks until every allocation has been freed and every reference
 * dropped, and frees the pool; after that the BARs' regions may go.  Must
 * not be called by a thread that holds an allocation or a reference.
 *
 * Return: 0, or -ENODEV if another call removed (or is removing) it; that
 * call too returns only once the pool is gone.
 */
int pdma_p2pmem_remove(struct pdma_p2pmem_provider *prov);

/* ---- choosing a provider ---------------------------------------------- */

/**
 * pdma_p2pmem_find_many() - pci_p2pmem_find_many(): the provider closest to
 * every client.
 * @fab:     the fabric of the clients; providers on another are skipped.
 * @provs, @nr_provs: the candidates; only those with pdma_p2pmem_has_p2pmem()
 *           count.
 * @clients, @nr_clients: function indices in @fab.
 * @rng:     state of the random choice among ties; NULL for a per-thread
 *           generator seeded at random.  Any seed value is valid.
 *
 * Picks the smallest pdma_verdict_distance_many() (NOT_SUPPORTED never
 * counts), keeping at most 512 tied providers (those found later than that
 * are ignored, as in the kernel), and returns one of them uniformly at
 * random.
 *
 * Return: the provider with a new reference (pdma_p2pmem_provider_put()), or
 * NULL if none is usable by every client.
 */
struct pdma_p2pmem_provider *
pdma_p2pmem_find_many(struct pdma_fabric *fab,
		      struct pdma_p2pmem_provider *const *provs, int nr_provs,
		      const int *clients, int nr_clients, uint64_t *rng);

#ifdef __cplusplus
}
#endif
#endif /* PEERDMA_MEM_H */
