/* SPDX-License-Identifier: MIT */
/*
 * peerdma/gpu.h - an emulated GPU: VRAM, buffer objects, a copy engine
 * and eviction under memory pressure.
 *
 * The GPU sits on one function of a platform.  Its VRAM has two parts:
 *   - the visible window: a memory BAR.  Buffer objects (BOs) there are
 *     buffers of the dma-buf reference exporter (dmabuf.h), so they can be
 *     exported, imported by peers and reached peer to peer;
 *   - optionally invisible VRAM (opts.invisible_bytes): memory of the card
 *     that no BAR reaches (as on cards without resizable BAR).  BOs there
 *     are the GPU's alone: they cannot be P2P targets.  Exporting one
 *     migrates it into the visible window first, or is refused (-ENOSPC).
 *
 * Allocating a BO when VRAM is full evicts the least recently used
 * unpinned visible BOs to RAM: the exporter's move, which fires
 * move_notify on every dynamic importer and is fenced.  A BO pinned by the
 * GPU (pdma_gpu_bo_pin()) or by an importer is never evicted.
 *
 * The copy engine copies between BOs with the GPU as initiator
 * (pdma_fabric_copy() through the fabric; invisible VRAM locally); each
 * copy's completion is a fence, added to both BOs' reservation objects.
 *
 * Thread safety: every call may run from several threads at once, except
 * create and destroy.
 */
#ifndef PEERDMA_GPU_H
#define PEERDMA_GPU_H

#include <stdint.h>

#include <peerdma/dmabuf.h>
#include <peerdma/fence.h>

#ifdef __cplusplus
extern "C" {
#endif

struct pdma_gpu;
struct pdma_gpu_bo;

/**
 * struct pdma_gpu_opts - the card.
 * @func, @bar:       the GPU's function and the BAR that is its visible
 *                    VRAM window (all of the BAR's backing).
 * @ram_off, @ram_len: the part of the platform's RAM it evicts into
 *                    (several GPUs on one platform need disjoint parts).
 * @invisible_bytes:  VRAM beyond the window (0: none).
 */
struct pdma_gpu_opts {
	int func, bar;
	uint64_t ram_off, ram_len;
	uint64_t invisible_bytes;
};

/**
 * pdma_gpu_create() - a GPU on @plat using @dma (both borrowed; they must
 * outlive it).
 * Return: 0; -EINVAL for a bad function or ranges; -ENOENT for a missing
 * BAR; -ENOMEM.
 */
int pdma_gpu_create(struct pdma_platform *plat, struct pdma_dma *dma,
		    const struct pdma_gpu_opts *opts, struct pdma_gpu **out);

/** pdma_gpu_destroy() - every BO must have been put.  NULL is a no-op. */
void pdma_gpu_destroy(struct pdma_gpu *gpu);

/** pdma_gpu_func() - the GPU's function index. */
int pdma_gpu_func(const struct pdma_gpu *gpu);

/* BO creation flags */
#define PDMA_GPU_BO_INVISIBLE 0x1u /* prefer invisible VRAM when present */

/**
 * pdma_gpu_bo_create() - a zero-filled BO of @size bytes (rounded up to
 * pages) in VRAM: invisible VRAM if asked for and there is room, else the
 * visible window, evicting least recently used unpinned BOs to RAM.
 *
 * Return: 0; -EINVAL; -ENOSPC when nothing more can be evicted; -ENOMEM.
 */
int pdma_gpu_bo_create(struct pdma_gpu *gpu, uint64_t size, unsigned flags,
		       struct pdma_gpu_bo **out);

/** pdma_gpu_bo_put() - drop the GPU's reference (exports keep theirs). */
void pdma_gpu_bo_put(struct pdma_gpu_bo *bo);

/** pdma_gpu_bo_size() - bytes (page rounded). */
uint64_t pdma_gpu_bo_size(const struct pdma_gpu_bo *bo);

enum pdma_gpu_place {
	PDMA_GPU_INVISIBLE = 1,	/* VRAM beyond the BAR */
	PDMA_GPU_VISIBLE = 2,	/* VRAM in the BAR window */
	PDMA_GPU_SYSTEM = 3,	/* evicted to RAM */
};

/** pdma_gpu_bo_place() - where the BO is now. */
enum pdma_gpu_place pdma_gpu_bo_place(struct pdma_gpu_bo *bo);

/**
 * pdma_gpu_bo_export() - the BO as a dma-buf (a new reference; put it
 * with pdma_dmabuf_put()).  An invisible BO first migrates into the
 * visible window (evicting as create does).
 * Return: 0; -ENOSPC when the window has no room (refused); -ENOMEM.
 */
int pdma_gpu_bo_export(struct pdma_gpu_bo *bo, struct pdma_dmabuf **out);

/**
 * pdma_gpu_bo_pin() - keep the BO where it is (never evicted) until
 * pdma_gpu_bo_unpin().  Return: 0 or the exporter's error.
 */
int pdma_gpu_bo_pin(struct pdma_gpu_bo *bo);

/** pdma_gpu_bo_unpin() - undo one pdma_gpu_bo_pin(). */
void pdma_gpu_bo_unpin(struct pdma_gpu_bo *bo);

/**
 * pdma_gpu_bo_evict() - move the BO to RAM now (what pressure does).
 * Return: 0; -EBUSY if pinned; -EINVAL for an invisible BO; -EINTR.
 */
int pdma_gpu_bo_evict(struct pdma_gpu_bo *bo);

/**
 * pdma_gpu_bo_restore() - move an evicted BO back into the visible window
 * (evicting others as create does).  Return: 0, -EBUSY, -ENOSPC.
 */
int pdma_gpu_bo_restore(struct pdma_gpu_bo *bo);

/**
 * pdma_gpu_bo_write() / pdma_gpu_bo_read() - CPU access to @len bytes at
 * @off (waits for fences as CPU access does).  Return: 0, -EINVAL.
 */
int pdma_gpu_bo_write(struct pdma_gpu_bo *bo, uint64_t off, const void *src,
		      uint64_t len);
int pdma_gpu_bo_read(struct pdma_gpu_bo *bo, uint64_t off, void *dst,
		     uint64_t len);

/**
 * pdma_gpu_copy() - the copy engine: @len bytes from @src at @src_off to
 * @dst at @dst_off, after @in (a fence to wait for; may be NULL).
 * @out: receives the copy's fence (a reference; may be NULL), which is
 *       also added to @dst's resv with WRITE usage and @src's with READ.
 *       It signals when the bytes are in place, with the error of a
 *       failed transfer set on it.
 *
 * Return: 0 (the transfer's own status is on the fence); -EINVAL for bad
 * ranges or BOs of another GPU; -EINTR; -ENOMEM; a mapping error.
 */
int pdma_gpu_copy(struct pdma_gpu *gpu, struct pdma_gpu_bo *dst,
		  uint64_t dst_off, struct pdma_gpu_bo *src, uint64_t src_off,
		  uint64_t len, struct pdma_fence *in, struct pdma_fence **out);

/**
 * struct pdma_gpu_stats - counters since create.
 * @evictions:   BOs evicted by pressure.
 * @copies, @copy_bytes: copy engine work.
 * @window_moves: invisible BOs moved into the window by export.
 */
struct pdma_gpu_stats {
	uint64_t evictions;
	uint64_t copies, copy_bytes;
	uint64_t window_moves;
};

/** pdma_gpu_stats() - read the counters. */
void pdma_gpu_stats(struct pdma_gpu *gpu, struct pdma_gpu_stats *st);

#ifdef __cplusplus
}
#endif
#endif /* PEERDMA_GPU_H */
