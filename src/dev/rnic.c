/* SPDX-License-Identifier: MIT */
/*
 * The emulated RDMA NIC: the wire, NICs, memory region registration over
 * physical memory, p2pmem and dma-bufs (dynamic or pinned), keys.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rnic_internal.h"

void pdma__rnic_count(uint64_t *ctr, uint64_t n)
{
	__atomic_fetch_add(ctr, n, __ATOMIC_RELAXED);
}

int pdma_wire_create(double gbps, struct pdma_wire **out)
{
	struct pdma_wire *w;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!(gbps > 0))
		return -EINVAL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->gbps = gbps;
	pthread_mutex_init(&w->lock, NULL);
	*out = w;
	return 0;
}

void pdma_wire_destroy(struct pdma_wire *w)
{
	if (!w)
		return;
	pthread_mutex_destroy(&w->lock);
	free(w);
}

void pdma_wire_stats(struct pdma_wire *w, struct pdma_wire_stats *st)
{
	pthread_mutex_lock(&w->lock);
	*st = w->st;
	pthread_mutex_unlock(&w->lock);
}

int pdma_rnic_create(struct pdma_platform *plat, struct pdma_dma *dma,
		     int func, struct pdma_rnic **out)
{
	struct pdma_rnic *nic;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!plat || !dma || func < 0 ||
	    func >= pdma_fabric_nr_funcs(pdma_platform_fabric(plat)))
		return -EINVAL;
	nic = calloc(1, sizeof(*nic));
	if (!nic)
		return -ENOMEM;
	nic->plat = plat;
	nic->dma = dma;
	nic->func = func;
	pthread_mutex_init(&nic->lock, NULL);
	*out = nic;
	return 0;
}

void pdma_rnic_destroy(struct pdma_rnic *nic)
{
	if (!nic)
		return;
	free(nic->mrs);
	pthread_mutex_destroy(&nic->lock);
	free(nic);
}

int pdma_rnic_connect(struct pdma_rnic *a, struct pdma_rnic *b,
		      struct pdma_wire *w)
{
	if (!a || !b || !w || a == b)
		return -EINVAL;
	a->peer = b;
	b->peer = a;
	a->wire = b->wire = w;
	return 0;
}

static uint32_t key_gen;

/* Put @mr in the table and give it its key. */
static int mr_insert(struct pdma_rnic *nic, struct pdma_rnic_mr *mr)
{
	int idx;

	pthread_mutex_lock(&nic->lock);
	for (idx = 0; idx < nic->cap && nic->mrs[idx]; idx++)
		;
	if (idx == nic->cap) {
		int cap = nic->cap ? nic->cap * 2 : 16;
		struct pdma_rnic_mr **m;

		if (cap > (1 << 23) ||
		    !(m = realloc(nic->mrs, sizeof(*m) * (size_t)cap))) {
			pthread_mutex_unlock(&nic->lock);
			return -ENOMEM;
		}
		memset(m + nic->cap, 0, sizeof(*m) * (size_t)(cap - nic->cap));
		nic->mrs = m;
		nic->cap = cap;
	}
	/* The low byte varies from one registration to the next (across
	 * NICs too), so a stale or foreign key rarely matches a live MR. */
	mr->key = ((uint32_t)(idx + 1) << 8) |
		  (__atomic_add_fetch(&key_gen, 1, __ATOMIC_RELAXED) & 0xff);
	nic->mrs[idx] = mr;
	pthread_mutex_unlock(&nic->lock);
	return 0;
}

struct pdma_rnic_mr *pdma__rnic_mr_lookup(struct pdma_rnic *nic, uint32_t key)
{
	struct pdma_rnic_mr *mr = NULL;
	uint32_t idx = (key >> 8) - 1;

	pthread_mutex_lock(&nic->lock);
	if ((key >> 8) && idx < (uint32_t)nic->cap && nic->mrs[idx] &&
	    nic->mrs[idx]->key == key) {
		mr = nic->mrs[idx];
		__atomic_fetch_add(&mr->refs, 1, __ATOMIC_RELAXED);
	}
	pthread_mutex_unlock(&nic->lock);
	return mr;
}

static void mr_free(struct pdma_rnic_mr *mr)
{
	if (mr->kind == MR_PHYS) {
		pdma_dma_unmap(mr->nic->dma, mr->sgt);
		pdma_p2pmem_put(mr->blk);
	} else {
		struct pdma_resv *resv = pdma_dmabuf_resv(mr->buf);

		pdma_resv_lock(resv, NULL);
		if (mr->sgt)
			pdma_dmabuf_unmap_attachment(mr->a, mr->sgt,
						     PDMA_BIDIRECTIONAL);
		if (mr->pinned)
			pdma_dmabuf_unpin(mr->a);
		pdma_resv_unlock(resv);
		pdma_dmabuf_detach(mr->buf, mr->a);
		pdma_dmabuf_put(mr->buf);
	}
	free(mr);
}

void pdma__rnic_mr_put(struct pdma_rnic_mr *mr)
{
	if (mr && __atomic_sub_fetch(&mr->refs, 1, __ATOMIC_ACQ_REL) == 0)
		mr_free(mr);
}

static struct pdma_rnic_mr *mr_new(struct pdma_rnic *nic, enum mr_kind kind,
				   unsigned access, uint64_t len)
{
	struct pdma_rnic_mr *mr = calloc(1, sizeof(*mr));

	if (!mr)
		return NULL;
	mr->nic = nic;
	mr->kind = kind;
	mr->access = access;
	mr->len = len;
	mr->refs = 1;
	return mr;
}

#define ACCESS_ALL (PDMA_RNIC_LOCAL_WRITE | PDMA_RNIC_REMOTE_WRITE | \
		    PDMA_RNIC_REMOTE_READ)

static int reg_phys(struct pdma_rnic *nic, uint64_t phys, uint64_t len,
		    unsigned access, struct pdma_p2pmem_block *blk,
		    struct pdma_rnic_mr **out)
{
	struct pdma_phys_range r = { phys, len };
	struct pdma_rnic_mr *mr;
	int ret;

	mr = mr_new(nic, MR_PHYS, access, len);
	if (!mr)
		return -ENOMEM;
	ret = pdma_dma_map(nic->dma, nic->func, &r, 1, PDMA_BIDIRECTIONAL,
			   &mr->sgt);
	if (ret)
		goto err_mr;
	mr->valid = true;
	mr->blk = blk;
	ret = mr_insert(nic, mr);
	if (ret)
		goto err_map;
	*out = mr;
	return 0;

err_map:
	pdma_dma_unmap(nic->dma, mr->sgt);
err_mr:
	free(mr);
	return ret;
}

int pdma_rnic_reg_phys(struct pdma_rnic *nic, uint64_t phys, uint64_t len,
		       unsigned access, struct pdma_rnic_mr **out)
{
	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!nic || !len || (access & ~ACCESS_ALL) || phys + len < phys)
		return -EINVAL;
	return reg_phys(nic, phys, len, access, NULL, out);
}

int pdma_rnic_reg_p2pmem(struct pdma_rnic *nic,
			 struct pdma_p2pmem_provider *prov, void *ptr,
			 uint64_t len, unsigned access,
			 struct pdma_rnic_mr **out)
{
	struct pdma_p2pmem_block *blk;
	uint64_t phys;
	int ret;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!nic || !prov || !ptr || !len || (access & ~ACCESS_ALL))
		return -EINVAL;
	ret = pdma_p2pmem_get(prov, ptr, len, &blk);
	if (ret)
		return ret;
	phys = pdma_p2pmem_virt_to_phys(prov, ptr);
	ret = phys ? reg_phys(nic, phys, len, access, blk, out) : -ENODEV;
	if (ret)
		pdma_p2pmem_put(blk);
	return ret;
}

static void mr_move_notify(struct pdma_dmabuf_attachment *a)
{
	struct pdma_rnic_mr *mr = a->importer_priv;

	/* Lock held: no access is running; the next one re-faults. */
	mr->valid = false;
	pdma__rnic_count(&mr->nic->st.invalidations, 1);
}

static const struct pdma_dmabuf_importer_ops mr_importer_ops = {
	.allow_peer2peer = true,
	.move_notify = mr_move_notify,
};

int pdma_rnic_reg_dmabuf(struct pdma_rnic *nic, struct pdma_dmabuf *buf,
			 unsigned access, unsigned flags,
			 struct pdma_rnic_mr **out)
{
	struct pdma_rnic_mr *mr;
	struct pdma_resv *resv;
	int ret;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!nic || !buf || (access & ~ACCESS_ALL) ||
	    (flags & ~PDMA_RNIC_MR_PINNED))
		return -EINVAL;
	mr = mr_new(nic, MR_DMABUF, access, pdma_dmabuf_size(buf));
	if (!mr)
		return -ENOMEM;
	mr->buf = pdma_dmabuf_get(buf);
	ret = pdma_dmabuf_dynamic_attach(buf, nic->func, &mr_importer_ops, mr,
					 &mr->a);
	if (ret)
		goto err_buf;
	if (flags & PDMA_RNIC_MR_PINNED) {
		resv = pdma_dmabuf_resv(buf);
		pdma_resv_lock(resv, NULL);
		ret = pdma_dmabuf_pin(mr->a);
		if (!ret) {
			ret = pdma_dmabuf_map_attachment(mr->a,
							 PDMA_BIDIRECTIONAL,
							 &mr->sgt);
			if (ret)
				pdma_dmabuf_unpin(mr->a);
		}
		pdma_resv_unlock(resv);
		if (ret)
			goto err_detach;
		/* The pin may have moved it: the copy lands first. */
		pdma_resv_wait_timeout(resv, PDMA_RESV_USAGE_KERNEL, false,
				       PDMA_FENCE_TIMEOUT_MAX);
		mr->pinned = true;
		mr->valid = true;
	}
	ret = mr_insert(nic, mr);
	if (ret)
		goto err_unpin;
	*out = mr;
	return 0;

err_unpin:
	if (mr->pinned) {
		pdma_resv_lock(pdma_dmabuf_resv(buf), NULL);
		pdma_dmabuf_unmap_attachment(mr->a, mr->sgt,
					     PDMA_BIDIRECTIONAL);
		pdma_dmabuf_unpin(mr->a);
		pdma_resv_unlock(pdma_dmabuf_resv(buf));
	}
err_detach:
	pdma_dmabuf_detach(buf, mr->a);
err_buf:
	pdma_dmabuf_put(buf);
	free(mr);
	return ret;
}

void pdma_rnic_dereg(struct pdma_rnic_mr *mr)
{
	struct pdma_rnic *nic;
	uint32_t idx;

	if (!mr)
		return;
	nic = mr->nic;
	idx = (mr->key >> 8) - 1;
	pthread_mutex_lock(&nic->lock);
	if (idx < (uint32_t)nic->cap && nic->mrs[idx] == mr)
		nic->mrs[idx] = NULL;
	pthread_mutex_unlock(&nic->lock);
	pdma__rnic_mr_put(mr);
}

uint32_t pdma_rnic_mr_lkey(const struct pdma_rnic_mr *mr)
{
	return mr->key;
}

uint32_t pdma_rnic_mr_rkey(const struct pdma_rnic_mr *mr)
{
	return mr->key;
}

uint64_t pdma_rnic_mr_len(const struct pdma_rnic_mr *mr)
{
	return mr->len;
}

void pdma_rnic_stats(struct pdma_rnic *nic, struct pdma_rnic_stats *st)
{
	st->faults = __atomic_load_n(&nic->st.faults, __ATOMIC_RELAXED);
	st->invalidations = __atomic_load_n(&nic->st.invalidations,
					    __ATOMIC_RELAXED);
	st->tx_bytes = __atomic_load_n(&nic->st.tx_bytes, __ATOMIC_RELAXED);
	st->rx_bytes = __atomic_load_n(&nic->st.rx_bytes, __ATOMIC_RELAXED);
	st->errors = __atomic_load_n(&nic->st.errors, __ATOMIC_RELAXED);
}
