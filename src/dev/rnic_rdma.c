/* SPDX-License-Identifier: MIT */
/*
 * RDMA WRITE and READ: key and bounds checks, MR access through the
 * fabric (re-faulting dynamic dma-buf MRs under the reservation lock),
 * chunks across the wire.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <peerdma/dev.h>

#include "rnic_internal.h"

/* The NIC's engine moves @len bytes at @off of @sgt to or from @buf. */
static int sg_dma(struct pdma_rnic *nic, const struct pdma_sgt *sgt,
		  uint64_t off, unsigned char *buf, uint64_t len,
		  enum pdma_dma_dir dir)
{
	const struct pdma_dev eng = { nic->plat, nic->dma, nic->func };

	return pdma_dev_dma_sg_at(&eng, sgt->sgl, sgt->nents, off, buf, len,
				  dir);
}

/*
 * A dma-buf MR's mapping is stale (or was never made): give the old table
 * back, wait for the exporter's move to land, map again.  Lock held.
 */
static int mr_fault_locked(struct pdma_rnic_mr *mr)
{
	struct pdma_resv *resv = pdma_dmabuf_resv(mr->buf);
	int64_t t;
	int ret;

	if (mr->sgt) {
		pdma_dmabuf_unmap_attachment(mr->a, mr->sgt,
					     PDMA_BIDIRECTIONAL);
		mr->sgt = NULL;
	}
	ret = pdma_dmabuf_map_attachment(mr->a, PDMA_BIDIRECTIONAL, &mr->sgt);
	if (ret) {
		mr->sgt = NULL;
		return ret;
	}
	t = pdma_resv_wait_timeout(resv, PDMA_RESV_USAGE_KERNEL, true,
				   PDMA_FENCE_TIMEOUT_MAX);
	if (t < 0)
		return (int)t;
	mr->valid = true;
	pdma__rnic_count(&mr->nic->st.faults, 1);
	return 0;
}

/* @mr's NIC moves [off, off + len) of the MR to or from @buf. */
static int mr_access(struct pdma_rnic_mr *mr, uint64_t off,
		     unsigned char *buf, uint64_t len, enum pdma_dma_dir dir)
{
	struct pdma_resv *resv;
	int ret;

	if (mr->kind == MR_PHYS)
		return sg_dma(mr->nic, mr->sgt, off, buf, len, dir);
	resv = pdma_dmabuf_resv(mr->buf);
	ret = pdma_resv_lock_interruptible(resv, NULL);
	if (ret)
		return ret;
	if (!mr->valid)
		ret = mr_fault_locked(mr);
	if (!ret)
		ret = sg_dma(mr->nic, mr->sgt, off, buf, len, dir);
	pdma_resv_unlock(resv);
	return ret;
}

static void wire_send(struct pdma_wire *w, uint64_t n)
{
	pthread_mutex_lock(&w->lock);
	w->st.bytes += n;
	w->st.messages++;
	w->st.seconds += (double)n * 8 / (w->gbps * 1e9);
	pthread_mutex_unlock(&w->lock);
}

static bool in_bounds(const struct pdma_rnic_mr *mr, uint64_t off,
		      uint64_t len)
{
	return off <= mr->len && len <= mr->len - off;
}

/*
 * One work request: data flows from (@src_nic, @smr) to (@dst_nic, @dmr)
 * over the wire; returns the status and *@bytes delivered.
 */
static int move(struct pdma_rnic *src_nic, struct pdma_rnic_mr *smr,
		uint64_t soff, struct pdma_rnic *dst_nic,
		struct pdma_rnic_mr *dmr, uint64_t doff, uint64_t len,
		struct pdma_wire *w, uint64_t *bytes)
{
	unsigned char *pkt;
	int ret = 0;

	pkt = malloc(len < PDMA_RNIC_CHUNK ? (len ? len : 1) : PDMA_RNIC_CHUNK);
	if (!pkt)
		return -ENOMEM;
	while (len) {
		uint64_t n = len < PDMA_RNIC_CHUNK ? len : PDMA_RNIC_CHUNK;

		ret = mr_access(smr, soff, pkt, n, PDMA_DMA_READ);
		if (ret)
			break;
		pdma__rnic_count(&src_nic->st.tx_bytes, n);
		wire_send(w, n);
		pdma__rnic_count(&dst_nic->st.rx_bytes, n);
		ret = mr_access(dmr, doff, pkt, n, PDMA_DMA_WRITE);
		if (ret)
			break;
		*bytes += n;
		soff += n;
		doff += n;
		len -= n;
	}
	free(pkt);
	return ret;
}

static int post(struct pdma_rnic *nic, enum pdma_rnic_opcode op,
		uint32_t lkey, uint64_t loff, uint32_t rkey, uint64_t roff,
		uint64_t len, struct pdma_rnic_wc *wc)
{
	struct pdma_rnic_mr *lmr = NULL, *rmr = NULL;
	struct pdma_rnic *peer = nic ? nic->peer : NULL;
	uint64_t bytes = 0;
	int ret;

	if (!nic) {
		ret = -EINVAL;
		goto out;
	}
	if (!peer) {
		ret = -ENOTCONN;
		goto out_count;
	}
	lmr = pdma__rnic_mr_lookup(nic, lkey);
	ret = -EINVAL;
	if (!lmr || !in_bounds(lmr, loff, len) ||
	    (op == PDMA_RNIC_READ && !(lmr->access & PDMA_RNIC_LOCAL_WRITE)))
		goto out_put;
	rmr = pdma__rnic_mr_lookup(peer, rkey);
	ret = -EACCES;
	if (!rmr || !in_bounds(rmr, roff, len) ||
	    !(rmr->access & (op == PDMA_RNIC_WRITE ? PDMA_RNIC_REMOTE_WRITE :
						     PDMA_RNIC_REMOTE_READ)))
		goto out_put;
	if (op == PDMA_RNIC_WRITE)
		ret = move(nic, lmr, loff, peer, rmr, roff, len, nic->wire,
			   &bytes);
	else
		ret = move(peer, rmr, roff, nic, lmr, loff, len, nic->wire,
			   &bytes);
out_put:
	pdma__rnic_mr_put(lmr);
	pdma__rnic_mr_put(rmr);
out_count:
	if (ret)
		pdma__rnic_count(&nic->st.errors, 1);
out:
	if (wc) {
		wc->opcode = op;
		wc->status = ret;
		wc->bytes = bytes;
	}
	return ret;
}

int pdma_rnic_write(struct pdma_rnic *nic, uint32_t lkey, uint64_t loff,
		    uint32_t rkey, uint64_t roff, uint64_t len,
		    struct pdma_rnic_wc *wc)
{
	return post(nic, PDMA_RNIC_WRITE, lkey, loff, rkey, roff, len, wc);
}

int pdma_rnic_read(struct pdma_rnic *nic, uint32_t lkey, uint64_t loff,
		   uint32_t rkey, uint64_t roff, uint64_t len,
		   struct pdma_rnic_wc *wc)
{
	return post(nic, PDMA_RNIC_READ, lkey, loff, rkey, roff, len, wc);
}
