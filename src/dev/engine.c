// SPDX-License-Identifier: MIT
/*
 * The DMA engine emulated devices share: scatter-gather lists of DMA
 * addresses to and from the device's local memory, through the platform's
 * routing (pdma_fabric_dma), and the doorbell checks of their queues.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include <peerdma/dev.h>

#include "dev/dev_internal.h"

int pdma_dev_init(struct pdma_dev *dev, struct pdma_platform *plat,
		  struct pdma_dma *dma, int func)
{
	if (!dev || !plat || func < 0 ||
	    func >= pdma_fabric_nr_funcs(pdma_platform_fabric(plat)))
		return -EINVAL;
	dev->plat = plat;
	dev->dma = dma;
	dev->func = func;
	return 0;
}

uint64_t pdma_dev_sg_bytes(const struct pdma_sg *sgl, int nents)
{
	uint64_t total = 0;

	for (int i = 0; i < nents; i++)
		total += sgl[i].len;
	return total;
}

int pdma_dev_dma_sg_at(const struct pdma_dev *dev, const struct pdma_sg *sgl,
		       int nents, uint64_t off, void *buf, size_t len,
		       enum pdma_dma_dir dir)
{
	unsigned char *p = buf;

	if (!dev || (!sgl && nents) || nents < 0 || (!buf && len))
		return -EINVAL;
	for (int i = 0; i < nents && len; i++) {
		size_t n;
		int ret;

		if (off >= sgl[i].len) {
			off -= sgl[i].len;
			continue;
		}
		n = sgl[i].len - off < len ? sgl[i].len - off : len;
		ret = pdma_fabric_dma(dev->plat, dev->func,
				      sgl[i].dma_addr + off, p, n, dir);
		if (ret)
			return ret;
		p += n;
		len -= n;
		off = 0;
	}
	return len ? -EINVAL : 0;
}

int pdma_dev_dma_sg(const struct pdma_dev *dev, const struct pdma_sg *sgl,
		    int nents, void *buf, size_t len, enum pdma_dma_dir dir)
{
	return pdma_dev_dma_sg_at(dev, sgl, nents, 0, buf, len, dir);
}

/* ---- queue pairs ------------------------------------------------------ */

void pdma__qpair_init(struct pdma__qpair *q, uint64_t sq_dma, uint64_t cq_dma,
		      uint32_t entries)
{
	*q = (struct pdma__qpair){
		.live = true,
		.sq_dma = sq_dma,
		.cq_dma = cq_dma,
		.entries = entries,
		.phase = true,
	};
}

/* Entries from @from forward to @to, modulo the ring size. */
static uint32_t ring_dist(const struct pdma__qpair *q, uint32_t from,
			  uint32_t to)
{
	return (to + q->entries - from) % q->entries;
}

int pdma__qpair_check_sq(const struct pdma__qpair *q, uint32_t tail,
			 char *why, size_t n)
{
	if (tail >= q->entries) {
		snprintf(why, n, "SQ tail %" PRIu32 " beyond a queue of %"
			 PRIu32 " entries", tail, q->entries);
		return -EINVAL;
	}
	/* Commands between head and the old tail are not fetched yet. */
	if (ring_dist(q, q->sq_head, tail) <
	    ring_dist(q, q->sq_head, q->sq_tail)) {
		snprintf(why, n, "SQ tail %" PRIu32 " moves back over "
			 "unfetched commands (head %" PRIu32 ", tail %" PRIu32
			 ")", tail, q->sq_head, q->sq_tail);
		return -EINVAL;
	}
	return 0;
}

int pdma__qpair_check_cq(const struct pdma__qpair *q, uint32_t head,
			 char *why, size_t n)
{
	if (head >= q->entries) {
		snprintf(why, n, "CQ head %" PRIu32 " beyond a queue of %"
			 PRIu32 " entries", head, q->entries);
		return -EINVAL;
	}
	/* The host may only hand back entries the device has written. */
	if (ring_dist(q, q->cq_head, head) >
	    ring_dist(q, q->cq_head, q->cq_tail)) {
		snprintf(why, n, "CQ head %" PRIu32 " passes the tail %" PRIu32
			 " (old head %" PRIu32 ")", head, q->cq_tail,
			 q->cq_head);
		return -EINVAL;
	}
	return 0;
}

bool pdma__qpair_cq_full(const struct pdma__qpair *q)
{
	return (q->cq_tail + 1) % q->entries == q->cq_head;
}

void pdma__qpair_cq_advance(struct pdma__qpair *q)
{
	if (++q->cq_tail == q->entries) {
		q->cq_tail = 0;
		q->phase = !q->phase;
	}
}
