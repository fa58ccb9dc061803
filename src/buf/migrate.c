/* SPDX-License-Identifier: MIT */
/*
 * The reference exporter moves and revokes buffers: copy under a KERNEL
 * fence, move_notify to the dynamic importers, wait for every fence they
 * left, only then free the old memory.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "exporter_obj.h"

static const char *copy_driver(struct pdma_fence *f)
{
	(void)f;
	return "peerdma-exporter";
}

static const char *copy_timeline(struct pdma_fence *f)
{
	(void)f;
	return "migrate";
}

static const struct pdma_fence_ops copy_fence_ops = {
	.get_driver_name = copy_driver,
	.get_timeline_name = copy_timeline,
};

static struct pdma__xbuf *xbuf_checked(struct pdma_dmabuf *buf)
{
	if (!buf || buf->ops != &pdma__xbuf_ops)
		return NULL;
	return buf->priv;
}

/* Wait for every fence (BOOKKEEP included): nobody touches the memory. */
static int wait_idle(struct pdma_dmabuf *buf, bool intr)
{
	int64_t t = pdma_resv_wait_timeout(pdma_dmabuf_resv(buf),
					   PDMA_RESV_USAGE_BOOKKEEP, intr,
					   PDMA_FENCE_TIMEOUT_MAX);

	return t < 0 ? (int)t : 0;
}

int pdma_dmabuf_exporter_move_locked(struct pdma_dmabuf *buf,
				     enum pdma_dmabuf_placement to)
{
	struct pdma__xbuf *xb = xbuf_checked(buf);
	struct pdma_resv *resv;
	struct pdma_fence *f;
	int old_where, ret;
	uint64_t new_off, old_off;

	if (!xb || (to != PDMA_DMABUF_VRAM && to != PDMA_DMABUF_RAM))
		return -EINVAL;
	resv = pdma_dmabuf_resv(buf);
	pdma__buf_assert_held(buf, "pdma_dmabuf_exporter_move_locked");
	if (xb->revoked)
		return -ENODEV;
	if (xb->pins)
		return -EBUSY;
	if (xb->where == (int)to)
		return 0;
	ret = pdma__xbuf_alloc_mem(xb, to, &new_off);
	if (ret)
		return ret;
	f = malloc(sizeof(*f));
	ret = -ENOMEM;
	if (!f)
		goto err_mem;
	pdma_fence_init64(f, &copy_fence_ops, &xb->fence_lock, xb->fence_ctx,
			  ++xb->seqno);
	ret = pdma_resv_reserve_fences_locked(resv, 1);
	if (ret)
		goto err_fence;
	/* Every access in flight must land before the copy reads. */
	ret = wait_idle(buf, true);
	if (ret)
		goto err_fence;
	pdma_resv_add_fence_locked(resv, f, PDMA_RESV_USAGE_KERNEL);
	memcpy(pdma__xbuf_ptr(xb, to, new_off),
	       pdma__xbuf_ptr(xb, xb->where, xb->off), xb->size);
	pdma_fence_signal(f);
	pdma_fence_put(f);

	old_where = xb->where;
	old_off = xb->off;
	__atomic_store_n(&xb->off, new_off, __ATOMIC_RELAXED);
	__atomic_store_n(&xb->where, (int)to, __ATOMIC_RELAXED);
	__atomic_store_n(&xb->moves, xb->moves + 1, __ATOMIC_RELAXED);
	pdma_dmabuf_move_notify(buf);
	/* move_notify only starts the importers' invalidation: what they
	 * cannot stop at once is fenced; the old memory stays until then. */
	wait_idle(buf, false);
	pdma__xbuf_free_mem(xb, old_where, old_off);
	return 0;

err_fence:
	pdma_fence_signal(f);
	pdma_fence_put(f);
err_mem:
	pdma__xbuf_free_mem(xb, to, new_off);
	return ret;
}

int pdma_dmabuf_exporter_move(struct pdma_dmabuf *buf,
			      enum pdma_dmabuf_placement to)
{
	int ret;

	if (!xbuf_checked(buf))
		return -EINVAL;
	pdma__buf_assert_unheld(buf, "pdma_dmabuf_exporter_move");
	ret = pdma_resv_lock_interruptible(pdma_dmabuf_resv(buf), NULL);
	if (ret)
		return ret;
	ret = pdma_dmabuf_exporter_move_locked(buf, to);
	pdma_resv_unlock(pdma_dmabuf_resv(buf));
	return ret;
}

int pdma_dmabuf_revoke(struct pdma_dmabuf *buf)
{
	struct pdma__xbuf *xb = xbuf_checked(buf);
	struct pdma_dmabuf_exporter *x;
	int ret;

	if (!xb)
		return -EINVAL;
	x = xb->x;
	pdma__buf_assert_unheld(buf, "pdma_dmabuf_revoke");
	ret = pdma_resv_lock_interruptible(pdma_dmabuf_resv(buf), NULL);
	if (ret)
		return ret;
	if (!xb->revoked) {
		__atomic_store_n(&xb->revoked, true, __ATOMIC_RELAXED);
		pdma_dmabuf_move_notify(buf);
		wait_idle(buf, false);
		if (xb->where == PDMA_DMABUF_VRAM) {
			/* Kept allocated (nobody else gets it while stale
			 * mappings may exist) but refused by the guard. */
			pthread_rwlock_wrlock(&x->guard_lock);
			pdma__ralloc_revoke(&x->vram, xb->off);
			pthread_rwlock_unlock(&x->guard_lock);
		}
		memset(pdma__xbuf_ptr(xb, xb->where, xb->off), 0x6b, xb->size);
	}
	pdma_resv_unlock(pdma_dmabuf_resv(buf));
	return 0;
}

int pdma_dmabuf_exporter_where(struct pdma_dmabuf *buf,
			       struct pdma_dmabuf_where *out)
{
	struct pdma__xbuf *xb = xbuf_checked(buf);
	int where;
	uint64_t off;

	memset(out, 0, sizeof(*out));
	if (!xb)
		return -EINVAL;
	where = __atomic_load_n(&xb->where, __ATOMIC_RELAXED);
	off = __atomic_load_n(&xb->off, __ATOMIC_RELAXED);
	out->where = __atomic_load_n(&xb->revoked, __ATOMIC_RELAXED) ? 0 : where;
	out->phys = pdma__xbuf_phys(xb, where, off);
	out->pins = __atomic_load_n(&xb->pins, __ATOMIC_RELAXED);
	out->moves = __atomic_load_n(&xb->moves, __ATOMIC_RELAXED);
	return 0;
}
