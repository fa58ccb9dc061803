/* SPDX-License-Identifier: MIT */
/*
 * peerdma/dmabuf.h - buffer sharing between devices (Linux's dma-buf).
 *
 * An exporter (the driver that owns the memory) wraps a buffer in a
 * struct pdma_dmabuf with a table of callbacks; importers (other devices'
 * drivers) attach to it, map it to get DMA addresses for their device, and
 * synchronise through the buffer's reservation object (resv.h).  The
 * exporter alone decides where the memory lives and whether an importer
 * may reach it peer to peer; it may move the memory at any time it is not
 * pinned, telling every dynamic importer through move_notify and waiting
 * for the fences importers left before it frees the old memory.
 *
 * Semantics follow drivers/dma-buf/dma-buf.c (v6.2+ locking convention);
 * the differences are in docs/dmabuf.md, the locking rules in
 * docs/locking.md ("dma-buf").  In short: pin, unpin, map, unmap, vmap,
 * vunmap and move_notify need the reservation lock held; attach, detach,
 * get, put, mmap and CPU access must be called without it.  Debug builds
 * (unless NDEBUG; forced on by PDMA_DEBUG) abort when a rule is broken.
 *
 * The reference exporter at the end of this file keeps buffers in a
 * device's BAR ("VRAM") or in system RAM of an emulated platform and
 * migrates them between the two.
 */
#ifndef PEERDMA_DMABUF_H
#define PEERDMA_DMABUF_H

#include <stdbool.h>
#include <stdint.h>

#include <peerdma/dma.h>
#include <peerdma/resv.h>

#ifdef __cplusplus
extern "C" {
#endif

struct pdma_dmabuf;
struct pdma_dmabuf_attachment;

/**
 * struct pdma_dmabuf_ops - what an exporter implements.
 *
 * @attach: optional.  Called by pdma_dmabuf_attach() and
 *   pdma_dmabuf_dynamic_attach(), lock NOT held, before the attachment is
 *   linked.  May clear @a->peer2peer (the importer cannot reach this
 *   memory peer to peer) and may fail: -EBUSY when the storage is
 *   incompatible with the importer and cannot move, -ENOMEM.  Any error
 *   fails the attach.
 * @detach: optional.  Called by pdma_dmabuf_detach(), lock NOT held,
 *   after the attachment was unlinked.  Cannot fail.
 * @pin: optional (but then @unpin too).  Called by pdma_dmabuf_pin() for
 *   dynamic importers and by map for static importers ("pin on map"),
 *   lock HELD.  Must leave the memory where @a's device can use it, moves
 *   and clears finished, and keep it there until @unpin.  Returns 0,
 *   -EBUSY (cannot be placed where @a can reach it), -ENOMEM, -ENODEV
 *   (revoked).  Missing: pin always succeeds.
 * @unpin: optional (with @pin).  Lock HELD.  Cannot fail.
 * @map: required.  Called by pdma_dmabuf_map_attachment(), lock HELD.
 *   Returns 0 and a NEW table of DMA addresses for @a->dev (never cached,
 *   never the same table twice; ownership passes to the importer until
 *   @unmap) or -ENODEV (revoked), -EBUSY, -EREMOTEIO, -ENOMEM.  A NULL
 *   table with 0 is turned into -ENOMEM.
 * @unmap: required.  Called by pdma_dmabuf_unmap_attachment(), lock HELD,
 *   with a table @map returned (restored if it was mangled).  Cannot fail.
 * @release: required.  Called once by the last pdma_dmabuf_put(), lock
 *   NOT held; frees the exporter's side.  Cannot fail.
 * @begin_cpu_access: optional.  Called by pdma_dmabuf_begin_cpu_access(),
 *   lock NOT held, before the wait for device fences.  Returns 0 or an
 *   error that fails the call.
 * @end_cpu_access: optional.  Called by pdma_dmabuf_end_cpu_access(), lock
 *   NOT held.  Returns 0 or an error.
 * @vmap: optional.  Called by the first pdma_dmabuf_vmap() (refcounted),
 *   lock HELD.  Sets *@vaddr to a CPU view of the whole buffer that stays
 *   valid until @vunmap.  Returns 0, -ENODEV, -ENOMEM.  Missing: vmap
 *   fails with -EINVAL.
 * @vunmap: optional (with @vmap).  Called when the vmap count drops to 0,
 *   lock HELD.
 * @mmap: optional.  Called by pdma_dmabuf_mmap() after the size checks,
 *   lock NOT held.  Sets *@addr to a CPU view of [@pgoff pages, + @len);
 *   valid until the buffer moves (bracket accesses with CPU access calls).
 *   Returns 0 or -errno.  Missing: mmap fails with -EINVAL.
 */
struct pdma_dmabuf_ops {
	int (*attach)(struct pdma_dmabuf *buf, struct pdma_dmabuf_attachment *a);
	void (*detach)(struct pdma_dmabuf *buf,
		       struct pdma_dmabuf_attachment *a);
	int (*pin)(struct pdma_dmabuf_attachment *a);
	void (*unpin)(struct pdma_dmabuf_attachment *a);
	int (*map)(struct pdma_dmabuf_attachment *a, enum pdma_data_dir dir,
		   struct pdma_sgt **out);
	void (*unmap)(struct pdma_dmabuf_attachment *a, struct pdma_sgt *sgt,
		      enum pdma_data_dir dir);
	void (*release)(struct pdma_dmabuf *buf);
	int (*begin_cpu_access)(struct pdma_dmabuf *buf, enum pdma_data_dir dir);
	int (*end_cpu_access)(struct pdma_dmabuf *buf, enum pdma_data_dir dir);
	int (*vmap)(struct pdma_dmabuf *buf, void **vaddr);
	void (*vunmap)(struct pdma_dmabuf *buf, void *vaddr);
	int (*mmap)(struct pdma_dmabuf *buf, uint64_t pgoff, uint64_t len,
		    void **addr);
};

/**
 * struct pdma_dmabuf_export_info - what pdma_dmabuf_export() needs.
 * @exp_name: the exporter's name (borrowed, must outlive the buffer).
 * @ops:      the callbacks (borrowed); map, unmap and release required.
 * @size:     bytes; immutable afterwards; must not be 0.
 * @resv:     a shared reservation object (borrowed), or NULL to embed one.
 * @priv:     the exporter's object; required.
 */
struct pdma_dmabuf_export_info {
	const char *exp_name;
	const struct pdma_dmabuf_ops *ops;
	uint64_t size;
	struct pdma_resv *resv;
	void *priv;
};

/**
 * struct pdma_dmabuf_importer_ops - a dynamic importer.
 * @allow_peer2peer: the importer can take peer (BAR) memory.
 * @move_notify: required.  Called with the lock HELD by the exporter
 *   (pdma_dmabuf_move_notify()) when the memory is about to move or is
 *   revoked.  Existing mappings stay usable until the exporter's wait on
 *   the resv fences ends; the importer must stop using them, unmap them
 *   (now or later) and fence in the resv any access it cannot stop at
 *   once.  Must not wait for the exporter or take other resv locks.
 */
struct pdma_dmabuf_importer_ops {
	bool allow_peer2peer;
	void (*move_notify)(struct pdma_dmabuf_attachment *a);
};

/**
 * struct pdma_dmabuf_attachment - one device attached to a buffer.
 * @dmabuf:        the buffer (immutable).
 * @dev:           the importer's function index on the platform.
 * @peer2peer:     may the exporter give peer memory?  Set from the
 *                 importer's ops, cleared by the exporter's attach.
 * @importer_ops:  NULL for a static importer.
 * @importer_priv: the importer's.
 * @priv:          the exporter's (its attach may set it).
 * The rest is private to the core.
 */
struct pdma_dmabuf_attachment {
	struct pdma_dmabuf *dmabuf;
	int dev;
	bool peer2peer;
	const struct pdma_dmabuf_importer_ops *importer_ops;
	void *importer_priv;
	void *priv;
	/* private: list link (resv lock), maps outstanding (resv lock) */
	struct pdma_dmabuf_attachment *next;
	int nr_maps;
};

/* ---- export, references -------------------------------------------------- */

/**
 * pdma_dmabuf_export() - wrap an exporter's memory in a buffer.
 * @out: receives the buffer with one reference.
 *
 * Return: 0; -EINVAL for a missing @info, priv, ops, map, unmap or
 * release, for only one of pin/unpin or of vmap/vunmap, or for size 0
 * (a one-line warning on stderr says which); -ENOMEM.
 */
int pdma_dmabuf_export(const struct pdma_dmabuf_export_info *info,
		       struct pdma_dmabuf **out);

/** pdma_dmabuf_get() - take a reference; returns @buf. */
struct pdma_dmabuf *pdma_dmabuf_get(struct pdma_dmabuf *buf);

/**
 * pdma_dmabuf_put() - drop a reference; the last calls ops->release.
 * Lock NOT held.  A live vmap at that point is a bug (abort); attachments
 * left over draw a warning.  @buf may be NULL.
 */
void pdma_dmabuf_put(struct pdma_dmabuf *buf);

/** pdma_dmabuf_size() - the size given at export (immutable). */
uint64_t pdma_dmabuf_size(const struct pdma_dmabuf *buf);

/** pdma_dmabuf_priv() - the exporter's object. */
void *pdma_dmabuf_priv(const struct pdma_dmabuf *buf);

/** pdma_dmabuf_resv() - the reservation object (embedded or shared). */
struct pdma_resv *pdma_dmabuf_resv(struct pdma_dmabuf *buf);

/** pdma_dmabuf_exp_name() - the exporter's name. */
const char *pdma_dmabuf_exp_name(const struct pdma_dmabuf *buf);

/**
 * pdma_dmabuf_set_debug() - turn the debug mangle on or off for tables
 * mapped from now on (default: on when PDMA_DMABUF_DEBUG=1 in the
 * environment).  Every field of a mapped table except each segment's DMA
 * address and length is scrambled while the importer holds it, so an
 * importer that looks elsewhere gets garbage; the table is restored before
 * it returns to the exporter.
 */
void pdma_dmabuf_set_debug(bool on);

/* ---- attachments ---------------------------------------------------------- */

/**
 * pdma_dmabuf_attach() - attach a static importer (never notified of
 * moves: the memory is pinned while it is mapped).  Lock NOT held.
 * @dev: the importer's function index.
 * @out: the attachment; release with pdma_dmabuf_detach().
 *
 * Return: 0; -EINVAL for NULL @buf or a negative @dev; the exporter's
 * attach error (-EBUSY...); -ENOMEM.
 */
int pdma_dmabuf_attach(struct pdma_dmabuf *buf, int dev,
		       struct pdma_dmabuf_attachment **out);

/**
 * pdma_dmabuf_dynamic_attach() - attach a dynamic importer.  Lock NOT held.
 * @ops:  the importer's ops (borrowed); move_notify required.
 * @priv: stored in the attachment's importer_priv.
 *
 * Return: as pdma_dmabuf_attach(); -EINVAL without @ops or move_notify.
 */
int pdma_dmabuf_dynamic_attach(struct pdma_dmabuf *buf, int dev,
			       const struct pdma_dmabuf_importer_ops *ops,
			       void *priv, struct pdma_dmabuf_attachment **out);

/**
 * pdma_dmabuf_detach() - unlink and free @a (every table must have been
 * unmapped: a warning otherwise).  Lock NOT held.  @a may be NULL.
 */
void pdma_dmabuf_detach(struct pdma_dmabuf *buf,
			struct pdma_dmabuf_attachment *a);

/** pdma_dmabuf_attachment_is_dynamic() - has importer ops. */
bool pdma_dmabuf_attachment_is_dynamic(const struct pdma_dmabuf_attachment *a);

/* ---- pin, map (lock held) ------------------------------------------------ */

/**
 * pdma_dmabuf_pin() - keep the memory where @a can reach it until unpin.
 * Dynamic importers only (-EINVAL for static ones); lock HELD.
 * Return: 0 or the exporter's error.
 */
int pdma_dmabuf_pin(struct pdma_dmabuf_attachment *a);

/** pdma_dmabuf_unpin() - undo pdma_dmabuf_pin().  Lock HELD. */
void pdma_dmabuf_unpin(struct pdma_dmabuf_attachment *a);

/**
 * pdma_dmabuf_map_attachment() - DMA addresses of the buffer for @a->dev.
 * Lock HELD.  Static importers: pinned first when the exporter has pin,
 * and the call waits for KERNEL-usage fences (moves, clears) before it
 * returns.  Dynamic importers must wait for the fences they need.
 * @out: the table: use only each segment's dma_addr and len.
 *
 * Return: 0; -EINVAL; the exporter's error (-ENODEV revoked, -EBUSY
 * cannot be placed where @a can reach it, ...); -EINTR.
 */
int pdma_dmabuf_map_attachment(struct pdma_dmabuf_attachment *a,
			       enum pdma_data_dir dir, struct pdma_sgt **out);

/**
 * pdma_dmabuf_unmap_attachment() - give a table back (and unpin when it
 * was pinned on map).  Lock HELD.
 */
void pdma_dmabuf_unmap_attachment(struct pdma_dmabuf_attachment *a,
				  struct pdma_sgt *sgt, enum pdma_data_dir dir);

/** pdma_dmabuf_map_attachment_unlocked() - the same, taking the lock. */
int pdma_dmabuf_map_attachment_unlocked(struct pdma_dmabuf_attachment *a,
					enum pdma_data_dir dir,
					struct pdma_sgt **out);

/** pdma_dmabuf_unmap_attachment_unlocked() - the same, taking the lock. */
void pdma_dmabuf_unmap_attachment_unlocked(struct pdma_dmabuf_attachment *a,
					   struct pdma_sgt *sgt,
					   enum pdma_data_dir dir);

/**
 * pdma_dmabuf_move_notify() - tell every dynamic importer that the memory
 * moves.  Called by the exporter with the lock HELD; the exporter must
 * then wait for the resv fences (BOOKKEEP included) before it frees or
 * reuses the old memory.
 */
void pdma_dmabuf_move_notify(struct pdma_dmabuf *buf);

/* ---- CPU access (lock NOT held) ----------------------------------------- */

/**
 * pdma_dmabuf_begin_cpu_access() - the CPU is about to access the buffer:
 * the exporter's hook, then wait for READ-usage fences (every reader and
 * writer) when @dir is TO_DEVICE or BIDIRECTIONAL (the CPU writes), else
 * for WRITE-usage fences.  Lock NOT held.
 * Return: 0, -EINVAL, the hook's error, -EINTR.
 */
int pdma_dmabuf_begin_cpu_access(struct pdma_dmabuf *buf,
				 enum pdma_data_dir dir);

/** pdma_dmabuf_end_cpu_access() - the CPU is done; exporter hook only. */
int pdma_dmabuf_end_cpu_access(struct pdma_dmabuf *buf,
			       enum pdma_data_dir dir);

/* DMA_BUF_IOCTL_SYNC flags. */
#define PDMA_DMABUF_SYNC_READ  1u
#define PDMA_DMABUF_SYNC_WRITE 2u
#define PDMA_DMABUF_SYNC_END   4u

/**
 * pdma_dmabuf_sync() - DMA_BUF_IOCTL_SYNC: begin (or with SYNC_END, end)
 * CPU access; READ = FROM_DEVICE, WRITE = TO_DEVICE, both = BIDIRECTIONAL.
 * Return: -EINVAL for unknown flags or neither READ nor WRITE; else as
 * begin/end_cpu_access.
 */
int pdma_dmabuf_sync(struct pdma_dmabuf *buf, unsigned flags);

/**
 * pdma_dmabuf_vmap() - a CPU view of the whole buffer.  Lock HELD.
 * Refcounted: the first call reaches the exporter, later ones get the
 * same address.  Return: 0, -EINVAL (no vmap op), the exporter's error.
 */
int pdma_dmabuf_vmap(struct pdma_dmabuf *buf, void **vaddr);

/**
 * pdma_dmabuf_vunmap() - drop a vmap reference; the exporter's vunmap runs
 * at 0.  Lock HELD.  @vaddr must be what vmap gave (abort otherwise).
 */
void pdma_dmabuf_vunmap(struct pdma_dmabuf *buf, void *vaddr);

/**
 * pdma_dmabuf_mmap() - a CPU view of @len bytes from page @pgoff.  Lock
 * NOT held.  Return: 0; -EINVAL without an mmap op, for len 0, or when
 * pgoff + pages(len) passes size / page size (whole pages, as the kernel);
 * -EOVERFLOW when pgoff + pages wraps; the exporter's error.
 */
int pdma_dmabuf_mmap(struct pdma_dmabuf *buf, uint64_t pgoff, uint64_t len,
		     void **addr);

/* ---- poll and sync files ------------------------------------------------- */

#define PDMA_DMABUF_POLLIN  0x1	/* WRITE-usage fences done: can read */
#define PDMA_DMABUF_POLLOUT 0x4	/* READ-usage fences done: can write */

/**
 * pdma_dmabuf_poll() - which of @events are ready now (BOOKKEEP fences
 * are ignored).  Never blocks.
 */
int pdma_dmabuf_poll(struct pdma_dmabuf *buf, int events);

/**
 * pdma_dmabuf_poll_fd() - a sync fd that becomes readable (POLLIN) when
 * @event (one of PDMA_DMABUF_POLLIN / POLLOUT) is ready, for poll(2) or
 * epoll.  Close it with pdma_syncfd_close().
 * Return: 0, -EINVAL, -ENOMEM, -errno of pipe2().
 */
int pdma_dmabuf_poll_fd(struct pdma_dmabuf *buf, int event, int *out_fd);

/**
 * pdma_dmabuf_export_sync_file() - DMA_BUF_IOCTL_EXPORT_SYNC_FILE: a sync
 * fd for the fences a new access of kind @flags (SYNC_READ / SYNC_WRITE)
 * must wait for: WRITE -> READ usage, READ alone -> WRITE usage.  No
 * fence gives the signalled stub.
 * Return: 0; -EINVAL for empty or unknown flags; -ENOMEM; -errno of pipe2().
 */
int pdma_dmabuf_export_sync_file(struct pdma_dmabuf *buf, unsigned flags,
				 int *out_fd);

/**
 * pdma_dmabuf_import_sync_file() - DMA_BUF_IOCTL_IMPORT_SYNC_FILE: add the
 * fence of sync fd @fd, flattened through arrays and chains, with WRITE
 * usage if @flags has SYNC_WRITE, else READ.  Lock NOT held (taken).
 * Return: 0; -EINVAL for bad flags or @fd not a sync fd; -ENOMEM; -EINTR.
 */
int pdma_dmabuf_import_sync_file(struct pdma_dmabuf *buf, int fd,
				 unsigned flags);

/* ---- the reference exporter --------------------------------------------- */

struct pdma_dmabuf_exporter;

enum pdma_dmabuf_placement {
	PDMA_DMABUF_VRAM = 1,	/* in the exporter device's BAR */
	PDMA_DMABUF_RAM = 2,	/* in system RAM */
};

/**
 * struct pdma_dmabuf_exporter_opts - an exporting device.
 * @func, @bar: the device and the memory BAR that is its VRAM.  The
 *              exporter installs its guard on that BAR: DMA into any part
 *              of it that is not a live, unrevoked buffer fails -ENODEV.
 * @vram_off, @vram_len: the part of the BAR it allocates from (@vram_len
 *              0: to the end of the BAR's backing).
 * @ram_off, @ram_len: the part of the platform's RAM it allocates from
 *              (several exporters on one platform need disjoint parts).
 */
struct pdma_dmabuf_exporter_opts {
	int func, bar;
	uint64_t vram_off, vram_len;
	uint64_t ram_off, ram_len;
};

/**
 * pdma_dmabuf_exporter_create() - an exporter on @plat using @dma (both
 * borrowed; they must outlive it).  Not while DMA into the BAR may run.
 * Return: 0; -EINVAL for ranges outside the BAR or RAM; -ENOENT for a
 * missing BAR; -ENOMEM.
 */
int pdma_dmabuf_exporter_create(struct pdma_platform *plat,
				struct pdma_dma *dma,
				const struct pdma_dmabuf_exporter_opts *opts,
				struct pdma_dmabuf_exporter **out);

/**
 * pdma_dmabuf_exporter_destroy() - remove the guard and free the
 * exporter; every buffer must have been released.  NULL is a no-op.
 */
void pdma_dmabuf_exporter_destroy(struct pdma_dmabuf_exporter *x);

/**
 * pdma_dmabuf_exporter_alloc() - a new buffer of @size bytes (rounded up
 * to pages), zero-filled, placed at @where, exported with one reference.
 * Return: 0, -EINVAL, -ENOSPC (no room there), -ENOMEM.
 */
int pdma_dmabuf_exporter_alloc(struct pdma_dmabuf_exporter *x, uint64_t size,
			       enum pdma_dmabuf_placement where,
			       struct pdma_dmabuf **out);

/**
 * pdma_dmabuf_exporter_move() - migrate @buf (a buffer of this exporter)
 * to @to.  Lock NOT held (taken).  The copy's completion is added to the
 * resv as a KERNEL fence; every dynamic importer gets move_notify; the
 * old memory is freed (poisoned, and unreachable in VRAM) only after every
 * fence of the resv, BOOKKEEP included, has signalled.
 * Return: 0 (also when it is already there); -EBUSY if pinned or vmapped;
 * -ENODEV if revoked; -ENOSPC; -EINVAL for a foreign buffer; -EINTR.
 */
int pdma_dmabuf_exporter_move(struct pdma_dmabuf *buf,
			      enum pdma_dmabuf_placement to);

/** pdma_dmabuf_exporter_move_locked() - the same with the lock HELD. */
int pdma_dmabuf_exporter_move_locked(struct pdma_dmabuf *buf,
				     enum pdma_dmabuf_placement to);

/**
 * pdma_dmabuf_revoke() - take the memory away for good (VFIO style):
 * move_notify to dynamic importers, wait for the resv fences, then VRAM
 * is freed (DMA into it fails -ENODEV at the BAR guard); maps fail
 * -ENODEV from now on.  Lock NOT held.  Idempotent.
 * Return: 0, -EINVAL for a foreign buffer, -EINTR.
 */
int pdma_dmabuf_revoke(struct pdma_dmabuf *buf);

/**
 * struct pdma_dmabuf_where - where a buffer of the reference exporter is.
 * @where: placement; 0 once revoked.
 * @phys:  CPU physical address of its memory.
 * @pins:  pins and vmaps holding it in place.
 * @moves: migrations so far.
 */
struct pdma_dmabuf_where {
	enum pdma_dmabuf_placement where;
	uint64_t phys;
	int pins;
	uint64_t moves;
};

/** pdma_dmabuf_exporter_where() - for tests and tools.  Lock not needed. */
int pdma_dmabuf_exporter_where(struct pdma_dmabuf *buf,
			       struct pdma_dmabuf_where *out);

#ifdef __cplusplus
}
#endif
#endif /* PEERDMA_DMABUF_H */
