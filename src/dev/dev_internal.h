/* SPDX-License-Identifier: MIT */
/*
 * Private to src/dev/: the queue-pair bookkeeping and doorbell checks that
 * the NVMe controller and the accelerator share.
 */
#ifndef PDMA_DEV_INTERNAL_H
#define PDMA_DEV_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <peerdma/dev.h>

#include "fabric/model.h"

/*
 * struct pdma__qpair - a device's view of one SQ/CQ pair in host memory.
 * All fields are protected by the owning device's lock.
 * @sq_tail: the last valid SQ doorbell value.
 * @sq_head: the next entry the device fetches.
 * @cq_head: the last valid CQ doorbell value.
 * @cq_tail: the next entry the device writes.
 * @phase:   the phase bit the device writes on this lap of the CQ.
 */
struct pdma__qpair {
	bool live;
	uint64_t sq_dma, cq_dma;
	uint32_t entries;
	uint32_t sq_head, sq_tail;
	uint32_t cq_head, cq_tail;
	bool phase;
};

/* engine.c */
PDMA_INTERNAL void pdma__qpair_init(struct pdma__qpair *q, uint64_t sq_dma,
				    uint64_t cq_dma, uint32_t entries);
/* Validate a doorbell value; on error fill @why (one line) and -EINVAL. */
PDMA_INTERNAL int pdma__qpair_check_sq(const struct pdma__qpair *q,
				       uint32_t tail, char *why, size_t n);
PDMA_INTERNAL int pdma__qpair_check_cq(const struct pdma__qpair *q,
				       uint32_t head, char *why, size_t n);
PDMA_INTERNAL bool pdma__qpair_cq_full(const struct pdma__qpair *q);
/* After posting a completion at cq_tail: advance, flip phase on wrap. */
PDMA_INTERNAL void pdma__qpair_cq_advance(struct pdma__qpair *q);

#endif /* PDMA_DEV_INTERNAL_H */
