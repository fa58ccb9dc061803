/* SPDX-License-Identifier: MIT */
/*
 * The reference exporter: buffers in a device's BAR ("VRAM") or in system
 * RAM of the emulated platform.  It decides peer-to-peer access from the
 * verdict layer: an importer that cannot take peer memory gets the buffer
 * migrated to RAM (or -EBUSY while it is pinned in VRAM).  A guard on the
 * BAR refuses DMA into anything that is not a live, unrevoked buffer.
 * Migration and revoke are in migrate.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <peerdma/verdict.h>

#include "exporter_obj.h"

#define POISON 0x6b

/* --- the BAR guard --------------------------------------------------------- */

static int guard_begin(void *ctx, uint64_t off, uint64_t len, void **cookie)
{
	struct pdma_dmabuf_exporter *x = ctx;

	*cookie = NULL;
	pthread_rwlock_rdlock(&x->guard_lock);
	if (pdma__ralloc_live(&x->vram, off, len))
		return 0;	/* held until guard_end: no free meanwhile */
	pthread_rwlock_unlock(&x->guard_lock);
	return -ENODEV;
}

static void guard_end(void *ctx, void *cookie)
{
	struct pdma_dmabuf_exporter *x = ctx;

	(void)cookie;
	pthread_rwlock_unlock(&x->guard_lock);
}

int pdma_dmabuf_exporter_create(struct pdma_platform *plat,
				struct pdma_dma *dma,
				const struct pdma_dmabuf_exporter_opts *o,
				struct pdma_dmabuf_exporter **out)
{
	struct pdma_bar_guard g = { guard_begin, guard_end, NULL, NULL };
	struct pdma_dmabuf_exporter *x;
	uint64_t ram_size, vlen;
	void *ram_mem;
	int ret;

	*out = NULL;
	if (!plat || !dma || !o)
		return -EINVAL;
	x = calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	x->plat = plat;
	x->dma = dma;
	x->fab = pdma_platform_fabric(plat);
	x->func = o->func;
	x->bar = o->bar;
	ret = pdma_platform_bar(plat, o->func, o->bar, &x->bm);
	if (ret || !x->bm.mem) {
		ret = -ENOENT;
		goto err_free;
	}
	pdma_platform_ram(plat, &x->ram_phys, &ram_size, &ram_mem, NULL);
	x->ram_mem = ram_mem;
	vlen = o->vram_len ? o->vram_len : x->bm.backed - o->vram_off;
	ret = -EINVAL;
	if (o->vram_off > x->bm.backed || vlen > x->bm.backed - o->vram_off ||
	    o->ram_off > ram_size || o->ram_len > ram_size - o->ram_off)
		goto err_free;
	pdma__ralloc_init(&x->vram, o->vram_off, vlen);
	pdma__ralloc_init(&x->ram, o->ram_off, o->ram_len);
	pthread_rwlock_init(&x->guard_lock, NULL);
	pthread_mutex_init(&x->ram_lock, NULL);
	g.ctx = x;
	pdma_platform_set_bar_guard(plat, o->func, o->bar, &g);
	*out = x;
	return 0;

err_free:
	free(x);
	return ret;
}

void pdma_dmabuf_exporter_destroy(struct pdma_dmabuf_exporter *x)
{
	if (!x)
		return;
	if (__atomic_load_n(&x->nr_bufs, __ATOMIC_ACQUIRE))
		fprintf(stderr, "peerdma: dma-buf exporter: destroyed with %d "
			"buffer(s) alive; put them first\n", x->nr_bufs);
	pdma_platform_set_bar_guard(x->plat, x->func, x->bar, NULL);
	pdma__ralloc_fini(&x->vram);
	pdma__ralloc_fini(&x->ram);
	pthread_rwlock_destroy(&x->guard_lock);
	pthread_mutex_destroy(&x->ram_lock);
	free(x);
}

/* --- memory ------------------------------------------------------------------ */

char *pdma__xbuf_ptr(struct pdma__xbuf *xb, int where, uint64_t off)
{
	if (where == PDMA_DMABUF_VRAM)
		return (char *)xb->x->bm.mem + off;
	return xb->x->ram_mem + off;
}

uint64_t pdma__xbuf_phys(struct pdma__xbuf *xb, int where, uint64_t off)
{
	if (where == PDMA_DMABUF_VRAM)
		return xb->x->bm.cpu_addr + off;
	return xb->x->ram_phys + off;
}

int pdma__xbuf_alloc_mem(struct pdma__xbuf *xb, int where, uint64_t *off)
{
	struct pdma_dmabuf_exporter *x = xb->x;
	int ret;

	if (where == PDMA_DMABUF_VRAM) {
		pthread_rwlock_wrlock(&x->guard_lock);
		ret = pdma__ralloc_alloc(&x->vram, xb->size, off);
		pthread_rwlock_unlock(&x->guard_lock);
	} else {
		pthread_mutex_lock(&x->ram_lock);
		ret = pdma__ralloc_alloc(&x->ram, xb->size, off);
		pthread_mutex_unlock(&x->ram_lock);
	}
	return ret;
}

void pdma__xbuf_free_mem(struct pdma__xbuf *xb, int where, uint64_t off)
{
	struct pdma_dmabuf_exporter *x = xb->x;

	if (where == PDMA_DMABUF_VRAM) {
		/* After this no DMA is inside the range and none starts. */
		pthread_rwlock_wrlock(&x->guard_lock);
		pdma__ralloc_free(&x->vram, off);
		pthread_rwlock_unlock(&x->guard_lock);
		memset(pdma__xbuf_ptr(xb, where, off), POISON, xb->size);
	} else {
		memset(pdma__xbuf_ptr(xb, where, off), POISON, xb->size);
		pthread_mutex_lock(&x->ram_lock);
		pdma__ralloc_free(&x->ram, off);
		pthread_mutex_unlock(&x->ram_lock);
	}
}

int pdma_dmabuf_exporter_alloc(struct pdma_dmabuf_exporter *x, uint64_t size,
			       enum pdma_dmabuf_placement where,
			       struct pdma_dmabuf **out)
{
	struct pdma_dmabuf_export_info info = { 0 };
	uint64_t page = pdma_page_size();
	struct pdma__xbuf *xb;
	int ret;

	*out = NULL;
	if (!x || !size || size > UINT64_MAX - page ||
	    (where != PDMA_DMABUF_VRAM && where != PDMA_DMABUF_RAM))
		return -EINVAL;
	xb = calloc(1, sizeof(*xb));
	if (!xb)
		return -ENOMEM;
	xb->x = x;
	xb->size = (size + page - 1) / page * page;
	xb->fence_ctx = pdma_fence_context_alloc(1);
	pdma_fence_lock_init(&xb->fence_lock);
	ret = pdma__xbuf_alloc_mem(xb, where, &xb->off);
	if (ret)
		goto err_free;
	xb->where = where;
	memset(pdma__xbuf_ptr(xb, where, xb->off), 0, xb->size);
	info.exp_name = "peerdma-exporter";
	info.ops = &pdma__xbuf_ops;
	info.size = size;
	info.priv = xb;
	ret = pdma_dmabuf_export(&info, &xb->buf);
	if (ret)
		goto err_mem;
	__atomic_fetch_add(&x->nr_bufs, 1, __ATOMIC_RELAXED);
	*out = xb->buf;
	return 0;

err_mem:
	pdma__xbuf_free_mem(xb, where, xb->off);
err_free:
	pdma_fence_lock_destroy(&xb->fence_lock);
	free(xb);
	return ret;
}

/* --- ops ----------------------------------------------------------------- */

static struct pdma__xbuf *xbuf_of(struct pdma_dmabuf *buf)
{
	return pdma_dmabuf_priv(buf);
}

static int x_attach(struct pdma_dmabuf *buf, struct pdma_dmabuf_attachment *a)
{
	struct pdma__xbuf *xb = xbuf_of(buf);
	enum pdma_map_type t;
	int ret = 0;

	/* Like amdgpu: no peer memory for a device the topology cannot
	 * route it to. */
	t = pdma_verdict_map_type(xb->x->fab, xb->x->func, a->dev, NULL);
	if (t != PDMA_MAP_BUS_ADDR && t != PDMA_MAP_THRU_HOST_BRIDGE)
		a->peer2peer = false;
	if (a->peer2peer)
		return 0;
	pdma_resv_lock(pdma_dmabuf_resv(buf), NULL);
	if (xb->where == PDMA_DMABUF_VRAM && xb->pins)
		ret = -EBUSY;	/* pinned where this importer cannot go */
	pdma_resv_unlock(pdma_dmabuf_resv(buf));
	return ret;
}

/* Place the buffer where @a reaches it.  Lock held. */
static int x_place(struct pdma__xbuf *xb, struct pdma_dmabuf_attachment *a)
{
	if (xb->revoked)
		return -ENODEV;
	if (xb->where != PDMA_DMABUF_VRAM || a->peer2peer)
		return 0;
	if (xb->pins)
		return -EBUSY;
	return pdma_dmabuf_exporter_move_locked(xb->buf, PDMA_DMABUF_RAM);
}

static int x_pin(struct pdma_dmabuf_attachment *a)
{
	struct pdma__xbuf *xb = xbuf_of(a->dmabuf);
	int ret = x_place(xb, a);

	if (!ret)
		__atomic_store_n(&xb->pins, xb->pins + 1, __ATOMIC_RELAXED);
	return ret;
}

static void x_unpin(struct pdma_dmabuf_attachment *a)
{
	struct pdma__xbuf *xb = xbuf_of(a->dmabuf);

	__atomic_store_n(&xb->pins, xb->pins - 1, __ATOMIC_RELAXED);
}

static int x_map(struct pdma_dmabuf_attachment *a, enum pdma_data_dir dir,
		 struct pdma_sgt **out)
{
	struct pdma__xbuf *xb = xbuf_of(a->dmabuf);
	struct pdma_phys_range r;
	int ret;

	ret = x_place(xb, a);
	if (ret)
		return ret;
	r.phys = pdma__xbuf_phys(xb, xb->where, xb->off);
	r.len = xb->size;
	ret = pdma_dma_map(xb->x->dma, a->dev, &r, 1, dir, out);
	if (ret == -EREMOTEIO && xb->where == PDMA_DMABUF_VRAM && !xb->pins) {
		/* The platform refuses what the verdict allowed: fall back. */
		ret = pdma_dmabuf_exporter_move_locked(xb->buf,
						       PDMA_DMABUF_RAM);
		if (ret)
			return ret;
		r.phys = pdma__xbuf_phys(xb, xb->where, xb->off);
		ret = pdma_dma_map(xb->x->dma, a->dev, &r, 1, dir, out);
	}
	return ret;
}

static void x_unmap(struct pdma_dmabuf_attachment *a, struct pdma_sgt *sgt,
		    enum pdma_data_dir dir)
{
	(void)dir;
	pdma_dma_unmap(xbuf_of(a->dmabuf)->x->dma, sgt);
}

static void x_release(struct pdma_dmabuf *buf)
{
	struct pdma__xbuf *xb = xbuf_of(buf);
	struct pdma_dmabuf_exporter *x = xb->x;

	pdma_resv_wait_timeout(pdma_dmabuf_resv(buf), PDMA_RESV_USAGE_BOOKKEEP,
			       false, PDMA_FENCE_TIMEOUT_MAX);
	pdma__xbuf_free_mem(xb, xb->where, xb->off);
	pdma_fence_lock_destroy(&xb->fence_lock);
	free(xb);
	__atomic_fetch_sub(&x->nr_bufs, 1, __ATOMIC_RELEASE);
}

static int x_vmap(struct pdma_dmabuf *buf, void **vaddr)
{
	struct pdma__xbuf *xb = xbuf_of(buf);

	if (xb->revoked)
		return -ENODEV;
	__atomic_store_n(&xb->pins, xb->pins + 1, __ATOMIC_RELAXED);
	*vaddr = pdma__xbuf_ptr(xb, xb->where, xb->off);
	return 0;
}

static void x_vunmap(struct pdma_dmabuf *buf, void *vaddr)
{
	struct pdma__xbuf *xb = xbuf_of(buf);

	(void)vaddr;
	__atomic_store_n(&xb->pins, xb->pins - 1, __ATOMIC_RELAXED);
}

static int x_mmap(struct pdma_dmabuf *buf, uint64_t pgoff, uint64_t len,
		  void **addr)
{
	struct pdma__xbuf *xb = xbuf_of(buf);
	int ret = 0;

	(void)len;
	pdma_resv_lock(pdma_dmabuf_resv(buf), NULL);
	if (xb->revoked)
		ret = -ENODEV;
	else
		*addr = pdma__xbuf_ptr(xb, xb->where, xb->off) +
			pgoff * pdma_page_size();
	pdma_resv_unlock(pdma_dmabuf_resv(buf));
	return ret;
}

const struct pdma_dmabuf_ops pdma__xbuf_ops = {
	.attach = x_attach,
	.pin = x_pin,
	.unpin = x_unpin,
	.map = x_map,
	.unmap = x_unmap,
	.release = x_release,
	.vmap = x_vmap,
	.vunmap = x_vunmap,
	.mmap = x_mmap,
};
