/* SPDX-License-Identifier: MIT */
/*
 * The emulated GPU: VRAM (a visible BAR window and optional invisible
 * VRAM), buffer objects on the reference dma-buf exporter, LRU eviction
 * to RAM under pressure, export with the visible-window rule, pins.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gpu_internal.h"

#define GPU_PAGE 4096ull

static void self_move_notify(struct pdma_dmabuf_attachment *a)
{
	/* The copy engine maps afresh under the lock for every copy, so
	 * there is no cached mapping to drop. */
	(void)a;
}

static const struct pdma_dmabuf_importer_ops self_ops = {
	.allow_peer2peer = true,
	.move_notify = self_move_notify,
};

int pdma_gpu_create(struct pdma_platform *plat, struct pdma_dma *dma,
		    const struct pdma_gpu_opts *opts, struct pdma_gpu **out)
{
	struct pdma_dmabuf_exporter_opts xo = { 0 };
	struct pdma_gpu *gpu;
	int ret;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!plat || !dma || !opts || opts->func < 0 ||
	    opts->invisible_bytes % GPU_PAGE)
		return -EINVAL;
	gpu = calloc(1, sizeof(*gpu));
	if (!gpu)
		return -ENOMEM;
	gpu->plat = plat;
	gpu->dma = dma;
	gpu->func = opts->func;
	xo.func = opts->func;
	xo.bar = opts->bar;
	xo.ram_off = opts->ram_off;
	xo.ram_len = opts->ram_len;
	ret = pdma_dmabuf_exporter_create(plat, dma, &xo, &gpu->x);
	if (ret)
		goto err_gpu;
	ret = -ENOMEM;
	if (opts->invisible_bytes) {
		gpu->inv_mem = calloc(1, opts->invisible_bytes);
		if (!gpu->inv_mem)
			goto err_exporter;
	}
	pdma__ralloc_init(&gpu->inv, 0, opts->invisible_bytes);
	pdma_fence_lock_init(&gpu->fence_lock);
	gpu->fence_ctx = pdma_fence_context_alloc(1);
	pthread_mutex_init(&gpu->lock, NULL);
	*out = gpu;
	return 0;

err_exporter:
	pdma_dmabuf_exporter_destroy(gpu->x);
err_gpu:
	free(gpu);
	return ret;
}

void pdma_gpu_destroy(struct pdma_gpu *gpu)
{
	if (!gpu)
		return;
	pdma_dmabuf_exporter_destroy(gpu->x);
	pdma__ralloc_fini(&gpu->inv);
	free(gpu->inv_mem);
	pdma_fence_lock_destroy(&gpu->fence_lock);
	pthread_mutex_destroy(&gpu->lock);
	free(gpu);
}

int pdma_gpu_func(const struct pdma_gpu *gpu)
{
	return gpu->func;
}

static void lru_unlink_locked(struct pdma_gpu_bo *bo)
{
	struct pdma_gpu *gpu = bo->gpu;

	if (!bo->on_lru)
		return;
	if (bo->prev)
		bo->prev->next = bo->next;
	else
		gpu->lru_head = bo->next;
	if (bo->next)
		bo->next->prev = bo->prev;
	else
		gpu->lru_tail = bo->prev;
	bo->prev = bo->next = NULL;
	bo->on_lru = false;
}

static void lru_add_tail_locked(struct pdma_gpu_bo *bo)
{
	struct pdma_gpu *gpu = bo->gpu;

	bo->prev = gpu->lru_tail;
	bo->next = NULL;
	if (gpu->lru_tail)
		gpu->lru_tail->next = bo;
	else
		gpu->lru_head = bo;
	gpu->lru_tail = bo;
	bo->on_lru = true;
}

/* The BO was used: it becomes the hottest (only BOs with a dma-buf). */
void pdma__gpu_touch(struct pdma_gpu_bo *bo)
{
	pthread_mutex_lock(&bo->gpu->lock);
	if (bo->on_lru) {
		lru_unlink_locked(bo);
		lru_add_tail_locked(bo);
	}
	pthread_mutex_unlock(&bo->gpu->lock);
}

/*
 * Evict the coldest BO that is in VRAM and not pinned.  @skip: how many
 * candidates already refused.  Return: 0, -ENOSPC when none is left.
 */
static int evict_one(struct pdma_gpu *gpu)
{
	int tried = 0;

	for (;;) {
		struct pdma_gpu_bo *bo, *victim = NULL;
		struct pdma_dmabuf_where w;
		int n = 0, ret;

		pthread_mutex_lock(&gpu->lock);
		for (bo = gpu->lru_head; bo; bo = bo->next) {
			if (pdma_dmabuf_exporter_where(bo->buf, &w) ||
			    w.where != PDMA_DMABUF_VRAM || w.pins)
				continue;
			if (n++ < tried)
				continue;
			victim = bo;
			victim->refs++;
			break;
		}
		pthread_mutex_unlock(&gpu->lock);
		if (!victim)
			return -ENOSPC;
		ret = pdma_dmabuf_exporter_move(victim->buf, PDMA_DMABUF_RAM);
		if (!ret) {
			pthread_mutex_lock(&gpu->lock);
			gpu->st.evictions++;
			pthread_mutex_unlock(&gpu->lock);
		}
		pdma_gpu_bo_put(victim);
		if (!ret)
			return 0;
		if (ret == -EINTR)
			return ret;
		tried++;	/* pinned meanwhile, or RAM full: the next */
	}
}

int pdma__gpu_alloc_visible(struct pdma_gpu *gpu, uint64_t size,
			    struct pdma_dmabuf **out)
{
	for (;;) {
		int ret = pdma_dmabuf_exporter_alloc(gpu->x, size,
						     PDMA_DMABUF_VRAM, out);

		if (ret != -ENOSPC)
			return ret;
		ret = evict_one(gpu);
		if (ret)
			return ret;
	}
}

/* Give @bo its dma-buf @buf and the GPU's own attachment. */
static int bo_set_buf(struct pdma_gpu_bo *bo, struct pdma_dmabuf *buf)
{
	int ret = pdma_dmabuf_dynamic_attach(buf, bo->gpu->func, &self_ops, bo,
					     &bo->self);

	if (ret)
		return ret;
	pthread_mutex_lock(&bo->gpu->lock);
	bo->buf = buf;
	bo->invisible = false;
	lru_add_tail_locked(bo);
	pthread_mutex_unlock(&bo->gpu->lock);
	return 0;
}

int pdma_gpu_bo_create(struct pdma_gpu *gpu, uint64_t size, unsigned flags,
		       struct pdma_gpu_bo **out)
{
	struct pdma_dmabuf *buf;
	struct pdma_gpu_bo *bo;
	int ret;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!gpu || !size || size > UINT64_MAX - GPU_PAGE ||
	    (flags & ~PDMA_GPU_BO_INVISIBLE))
		return -EINVAL;
	bo = calloc(1, sizeof(*bo));
	if (!bo)
		return -ENOMEM;
	bo->gpu = gpu;
	bo->size = (size + GPU_PAGE - 1) & ~(GPU_PAGE - 1);
	bo->refs = 1;
	pthread_mutex_init(&bo->mu, NULL);
	if (flags & PDMA_GPU_BO_INVISIBLE) {
		pthread_mutex_lock(&gpu->lock);
		ret = pdma__ralloc_alloc(&gpu->inv, bo->size, &bo->inv_off);
		if (!ret) {
			memset(gpu->inv_mem + bo->inv_off, 0, bo->size);
			bo->invisible = true;
			gpu->nr_bos++;
		}
		pthread_mutex_unlock(&gpu->lock);
		if (!ret) {
			*out = bo;
			return 0;
		}
		if (ret != -ENOSPC)
			goto err_bo;
	}
	ret = pdma__gpu_alloc_visible(gpu, bo->size, &buf);
	if (ret)
		goto err_bo;
	ret = bo_set_buf(bo, buf);
	if (ret)
		goto err_buf;
	pthread_mutex_lock(&gpu->lock);
	gpu->nr_bos++;
	pthread_mutex_unlock(&gpu->lock);
	*out = bo;
	return 0;

err_buf:
	pdma_dmabuf_put(buf);
err_bo:
	pthread_mutex_destroy(&bo->mu);
	free(bo);
	return ret;
}

void pdma_gpu_bo_put(struct pdma_gpu_bo *bo)
{
	struct pdma_gpu *gpu;
	bool last;

	if (!bo)
		return;
	gpu = bo->gpu;
	pthread_mutex_lock(&gpu->lock);
	last = --bo->refs == 0;
	if (last) {
		lru_unlink_locked(bo);
		if (bo->invisible)
			pdma__ralloc_free(&gpu->inv, bo->inv_off);
		gpu->nr_bos--;
	}
	pthread_mutex_unlock(&gpu->lock);
	if (!last)
		return;
	if (bo->buf) {
		pdma_dmabuf_detach(bo->buf, bo->self);
		pdma_dmabuf_put(bo->buf);
	}
	pthread_mutex_destroy(&bo->mu);
	free(bo);
}

uint64_t pdma_gpu_bo_size(const struct pdma_gpu_bo *bo)
{
	return bo->size;
}

enum pdma_gpu_place pdma_gpu_bo_place(struct pdma_gpu_bo *bo)
{
	struct pdma_dmabuf_where w;
	enum pdma_gpu_place p = PDMA_GPU_INVISIBLE;

	pthread_mutex_lock(&bo->mu);
	if (bo->buf && !pdma_dmabuf_exporter_where(bo->buf, &w))
		p = w.where == PDMA_DMABUF_VRAM ? PDMA_GPU_VISIBLE :
						  PDMA_GPU_SYSTEM;
	pthread_mutex_unlock(&bo->mu);
	return p;
}

/* Move an invisible BO into the window: bo->mu held. */
static int bo_into_window(struct pdma_gpu_bo *bo)
{
	struct pdma_gpu *gpu = bo->gpu;
	struct pdma_dmabuf *buf;
	struct pdma_resv *resv;
	void *p;
	int ret;

	ret = pdma__gpu_alloc_visible(gpu, bo->size, &buf);
	if (ret)
		return ret;
	resv = pdma_dmabuf_resv(buf);
	pdma_resv_lock(resv, NULL);
	ret = pdma_dmabuf_vmap(buf, &p);
	if (!ret) {
		memcpy(p, gpu->inv_mem + bo->inv_off, bo->size);
		pdma_dmabuf_vunmap(buf, p);
	}
	pdma_resv_unlock(resv);
	if (!ret)
		ret = bo_set_buf(bo, buf);
	if (ret) {
		pdma_dmabuf_put(buf);
		return ret;
	}
	pthread_mutex_lock(&gpu->lock);
	pdma__ralloc_free(&gpu->inv, bo->inv_off);
	gpu->st.window_moves++;
	pthread_mutex_unlock(&gpu->lock);
	return 0;
}

int pdma_gpu_bo_export(struct pdma_gpu_bo *bo, struct pdma_dmabuf **out)
{
	int ret = 0;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!bo)
		return -EINVAL;
	pthread_mutex_lock(&bo->mu);
	if (!bo->buf)
		ret = bo_into_window(bo);
	if (!ret)
		*out = pdma_dmabuf_get(bo->buf);
	pthread_mutex_unlock(&bo->mu);
	if (!ret)
		pdma__gpu_touch(bo);
	return ret;
}

int pdma_gpu_bo_pin(struct pdma_gpu_bo *bo)
{
	struct pdma_resv *resv;
	int ret;

	pthread_mutex_lock(&bo->mu);
	if (!bo->buf) {
		/* invisible VRAM is never evicted: nothing to do */
		pthread_mutex_unlock(&bo->mu);
		return 0;
	}
	pthread_mutex_unlock(&bo->mu);
	resv = pdma_dmabuf_resv(bo->buf);
	pdma_resv_lock(resv, NULL);
	ret = pdma_dmabuf_pin(bo->self);
	pdma_resv_unlock(resv);
	return ret;
}

void pdma_gpu_bo_unpin(struct pdma_gpu_bo *bo)
{
	struct pdma_resv *resv;

	pthread_mutex_lock(&bo->mu);
	if (!bo->buf) {
		pthread_mutex_unlock(&bo->mu);
		return;
	}
	pthread_mutex_unlock(&bo->mu);
	resv = pdma_dmabuf_resv(bo->buf);
	pdma_resv_lock(resv, NULL);
	pdma_dmabuf_unpin(bo->self);
	pdma_resv_unlock(resv);
}

static struct pdma_dmabuf *bo_buf(struct pdma_gpu_bo *bo)
{
	struct pdma_dmabuf *buf;

	pthread_mutex_lock(&bo->mu);
	buf = bo->buf;
	pthread_mutex_unlock(&bo->mu);
	return buf;
}

int pdma_gpu_bo_evict(struct pdma_gpu_bo *bo)
{
	struct pdma_dmabuf *buf = bo ? bo_buf(bo) : NULL;

	if (!buf)
		return -EINVAL;
	return pdma_dmabuf_exporter_move(buf, PDMA_DMABUF_RAM);
}

int pdma_gpu_bo_restore(struct pdma_gpu_bo *bo)
{
	struct pdma_dmabuf *buf = bo ? bo_buf(bo) : NULL;
	int ret;

	if (!buf)
		return -EINVAL;
	for (;;) {
		ret = pdma_dmabuf_exporter_move(buf, PDMA_DMABUF_VRAM);
		if (ret != -ENOSPC)
			break;
		ret = evict_one(bo->gpu);
		if (ret)
			break;
	}
	if (!ret)
		pdma__gpu_touch(bo);
	return ret;
}

void pdma_gpu_stats(struct pdma_gpu *gpu, struct pdma_gpu_stats *st)
{
	pthread_mutex_lock(&gpu->lock);
	*st = gpu->st;
	pthread_mutex_unlock(&gpu->lock);
}
