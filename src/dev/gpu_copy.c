/* SPDX-License-Identifier: MIT */
/*
 * The GPU's copy engine (fenced copies between BOs, the GPU as the
 * initiator through the fabric; invisible VRAM is local to the card) and
 * CPU access to BOs.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gpu_internal.h"

static const char *copy_driver(struct pdma_fence *f)
{
	(void)f;
	return "peerdma-gpu";
}

static const char *copy_timeline(struct pdma_fence *f)
{
	(void)f;
	return "copy";
}

static const struct pdma_fence_ops copy_fence_ops = {
	.get_driver_name = copy_driver,
	.get_timeline_name = copy_timeline,
};

/* One side of a copy: local memory or a mapped table. */
struct side {
	unsigned char *local;
	struct pdma_sgt *sgt;
};

/* The DMA address at @off of @sgt and the bytes contiguous from there. */
static int sg_at(const struct pdma_sgt *sgt, uint64_t off, uint64_t *addr,
		 uint64_t *avail)
{
	for (int i = 0; i < sgt->nents; i++) {
		if (off < sgt->sgl[i].len) {
			*addr = sgt->sgl[i].dma_addr + off;
			*avail = sgt->sgl[i].len - off;
			return 0;
		}
		off -= sgt->sgl[i].len;
	}
	return -ERANGE;
}

static int transfer(struct pdma_gpu *gpu, struct side *d, uint64_t doff,
		    struct side *s, uint64_t soff, uint64_t len)
{
	while (len) {
		uint64_t da = 0, sa = 0, n = len, avail;
		int ret;

		if (d->sgt) {
			ret = sg_at(d->sgt, doff, &da, &avail);
			if (ret)
				return ret;
			n = avail < n ? avail : n;
		}
		if (s->sgt) {
			ret = sg_at(s->sgt, soff, &sa, &avail);
			if (ret)
				return ret;
			n = avail < n ? avail : n;
		}
		if (d->sgt && s->sgt)
			ret = pdma_fabric_copy(gpu->plat, gpu->func, da, sa, n);
		else if (d->sgt)
			ret = pdma_fabric_dma(gpu->plat, gpu->func, da,
					      s->local + soff, n,
					      PDMA_DMA_WRITE);
		else if (s->sgt)
			ret = pdma_fabric_dma(gpu->plat, gpu->func, sa,
					      d->local + doff, n,
					      PDMA_DMA_READ);
		else
			ret = (memmove(d->local + doff, s->local + soff, n), 0);
		if (ret)
			return ret;
		doff += n;
		soff += n;
		len -= n;
	}
	return 0;
}

/* Lock the resvs of @a and @b (either may be NULL, or both the same). */
static int lock_pair(struct pdma_resv *a, struct pdma_resv *b,
		     struct pdma_ww_acquire_ctx *ctx)
{
	struct pdma_resv *contended = NULL;
	int ret;

	if (!a || !b || a == b) {
		struct pdma_resv *one = a ? a : b;

		return one ? pdma_resv_lock_interruptible(one, NULL) : 0;
	}
	pdma_ww_acquire_init(ctx, &pdma_reservation_ww_class);
	for (;;) {
		struct pdma_resv *first = contended ? contended : a;
		struct pdma_resv *second = first == a ? b : a;

		if (contended)
			pdma_resv_lock_slow(first, ctx);
		else if ((ret = pdma_resv_lock(first, ctx)))
			goto err_ctx;
		ret = pdma_resv_lock(second, ctx);
		if (!ret)
			break;
		pdma_resv_unlock(first);
		if (ret != -EDEADLK)
			goto err_ctx;
		contended = second;
	}
	pdma_ww_acquire_done(ctx);
	return 0;

err_ctx:
	pdma_ww_acquire_fini(ctx);
	return ret;
}

static void unlock_pair(struct pdma_resv *a, struct pdma_resv *b,
			struct pdma_ww_acquire_ctx *ctx)
{
	if (a)
		pdma_resv_unlock(a);
	if (b && b != a)
		pdma_resv_unlock(b);
	if (a && b && a != b)
		pdma_ww_acquire_fini(ctx);
}

static int map_side(struct pdma_gpu_bo *bo, enum pdma_data_dir dir,
		    struct side *sd)
{
	if (!bo->buf) {
		sd->local = bo->gpu->inv_mem + bo->inv_off;
		return 0;
	}
	return pdma_dmabuf_map_attachment(bo->self, dir, &sd->sgt);
}

static void lock_bos(struct pdma_gpu_bo *a, struct pdma_gpu_bo *b)
{
	if (a == b) {
		pthread_mutex_lock(&a->mu);
		return;
	}
	if ((uintptr_t)a > (uintptr_t)b) {
		struct pdma_gpu_bo *t = a;

		a = b;
		b = t;
	}
	pthread_mutex_lock(&a->mu);
	pthread_mutex_lock(&b->mu);
}

static void unlock_bos(struct pdma_gpu_bo *a, struct pdma_gpu_bo *b)
{
	pthread_mutex_unlock(&a->mu);
	if (b != a)
		pthread_mutex_unlock(&b->mu);
}

int pdma_gpu_copy(struct pdma_gpu *gpu, struct pdma_gpu_bo *dst,
		  uint64_t dst_off, struct pdma_gpu_bo *src, uint64_t src_off,
		  uint64_t len, struct pdma_fence *in, struct pdma_fence **out)
{
	struct pdma_resv *dr = NULL, *sr = NULL;
	struct side ds = { 0 }, ss = { 0 };
	struct pdma_ww_acquire_ctx ctx;
	struct pdma_fence *f;
	int ret, status;

	if (out)
		*out = NULL;
	if (!gpu || !dst || !src || dst->gpu != gpu || src->gpu != gpu ||
	    !len || dst_off > dst->size || len > dst->size - dst_off ||
	    src_off > src->size || len > src->size - src_off)
		return -EINVAL;
	if (in) {
		ret = pdma_fence_wait(in, true);
		if (ret)
			return ret;
	}
	f = malloc(sizeof(*f));
	if (!f)
		return -ENOMEM;
	lock_bos(dst, src);
	dr = dst->buf ? pdma_dmabuf_resv(dst->buf) : NULL;
	sr = src->buf ? pdma_dmabuf_resv(src->buf) : NULL;
	ret = lock_pair(dr, sr, &ctx);
	if (ret)
		goto err_bos;
	/* A writer waits for readers and writers; a reader for writers. */
	if (dr)
		pdma_resv_wait_timeout(dr, PDMA_RESV_USAGE_READ, false,
				       PDMA_FENCE_TIMEOUT_MAX);
	if (sr && sr != dr)
		pdma_resv_wait_timeout(sr, PDMA_RESV_USAGE_WRITE, false,
				       PDMA_FENCE_TIMEOUT_MAX);
	if ((dr && (ret = pdma_resv_reserve_fences_locked(dr, 1))) ||
	    (sr && (ret = pdma_resv_reserve_fences_locked(sr, 1))))
		goto err_unlock;
	ret = map_side(dst, PDMA_FROM_DEVICE, &ds);
	if (ret)
		goto err_unlock;
	ret = map_side(src, PDMA_TO_DEVICE, &ss);
	if (ret)
		goto err_unmap_dst;
	pthread_mutex_lock(&gpu->lock);
	pdma_fence_init64(f, &copy_fence_ops, &gpu->fence_lock, gpu->fence_ctx,
			  ++gpu->seqno);
	pthread_mutex_unlock(&gpu->lock);
	if (dr)
		pdma_resv_add_fence_locked(dr, f, PDMA_RESV_USAGE_WRITE);
	if (sr)
		pdma_resv_add_fence_locked(sr, f, PDMA_RESV_USAGE_READ);

	status = transfer(gpu, &ds, dst_off, &ss, src_off, len);

	if (ss.sgt)
		pdma_dmabuf_unmap_attachment(src->self, ss.sgt,
					     PDMA_TO_DEVICE);
	if (ds.sgt)
		pdma_dmabuf_unmap_attachment(dst->self, ds.sgt,
					     PDMA_FROM_DEVICE);
	if (status)
		pdma_fence_set_error(f, status);
	pdma_fence_signal(f);
	unlock_pair(dr, sr, &ctx);
	unlock_bos(dst, src);
	pthread_mutex_lock(&gpu->lock);
	gpu->st.copies++;
	if (!status)
		gpu->st.copy_bytes += len;
	pthread_mutex_unlock(&gpu->lock);
	pdma__gpu_touch(dst);
	pdma__gpu_touch(src);
	if (out)
		*out = f;
	else
		pdma_fence_put(f);
	return 0;

err_unmap_dst:
	if (ds.sgt)
		pdma_dmabuf_unmap_attachment(dst->self, ds.sgt,
					     PDMA_FROM_DEVICE);
err_unlock:
	unlock_pair(dr, sr, &ctx);
err_bos:
	unlock_bos(dst, src);
	free(f);
	return ret;
}

/* CPU access to [off, off + len) of @bo: @write copies @p in. */
static int cpu_access(struct pdma_gpu_bo *bo, uint64_t off, void *p,
		      uint64_t len, bool write)
{
	enum pdma_data_dir dir = write ? PDMA_TO_DEVICE : PDMA_FROM_DEVICE;
	struct pdma_dmabuf *buf;
	struct pdma_resv *resv;
	unsigned char *v;
	int ret;

	if (!bo || !p || off > bo->size || len > bo->size - off)
		return -EINVAL;
	pthread_mutex_lock(&bo->mu);
	buf = bo->buf;
	if (!buf) {
		unsigned char *m = bo->gpu->inv_mem + bo->inv_off + off;

		if (write)
			memcpy(m, p, len);
		else
			memcpy(p, m, len);
		pthread_mutex_unlock(&bo->mu);
		return 0;
	}
	pthread_mutex_unlock(&bo->mu);
	ret = pdma_dmabuf_begin_cpu_access(buf, dir);
	if (ret)
		return ret;
	resv = pdma_dmabuf_resv(buf);
	pdma_resv_lock(resv, NULL);
	ret = pdma_dmabuf_vmap(buf, (void **)&v);
	if (!ret) {
		if (write)
			memcpy(v + off, p, len);
		else
			memcpy(p, v + off, len);
		pdma_dmabuf_vunmap(buf, v);
	}
	pdma_resv_unlock(resv);
	pdma_dmabuf_end_cpu_access(buf, dir);
	pdma__gpu_touch(bo);
	return ret;
}

int pdma_gpu_bo_write(struct pdma_gpu_bo *bo, uint64_t off, const void *src,
		      uint64_t len)
{
	return cpu_access(bo, off, (void *)src, len, true);
}

int pdma_gpu_bo_read(struct pdma_gpu_bo *bo, uint64_t off, void *dst,
		     uint64_t len)
{
	return cpu_access(bo, off, dst, len, false);
}
