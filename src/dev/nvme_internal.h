/* SPDX-License-Identifier: MIT */
/* Private to the NVMe controller (nvme.c, nvme_io.c). */
#ifndef PDMA_DEV_NVME_INTERNAL_H
#define PDMA_DEV_NVME_INTERNAL_H

#include <pthread.h>

#include <peerdma/nvme.h>

#include "dev/dev_internal.h"

#define NVME_MAX_NS	16
#define NVME_MAX_QUEUES	64
/* PRP entries of the largest transfer, plus a first partial page. */
#define NVME_MAX_SEGS	(PDMA_NVME_MAX_XFER / PDMA_NVME_PAGE_SIZE + 1)

struct nvme_ns {
	int fd;
	unsigned lba_size;
	uint64_t blocks;
};

/*
 * struct pdma_nvme - the controller.  Everything below @lock is protected
 * by it; the rest is immutable after create.
 */
struct pdma_nvme {
	struct pdma_dev dev;
	int max_queues;
	struct pdma_p2pmem_provider *cmb;

	pthread_mutex_t lock;
	struct nvme_ns ns[NVME_MAX_NS];
	int nr_ns;
	struct pdma__qpair q[NVME_MAX_QUEUES + 1];	/* [0] unused: no admin */
	struct pdma_nvme_stats st;
	struct pdma_sg segs[NVME_MAX_SEGS];
	unsigned char *buf;				/* PDMA_NVME_MAX_XFER */
};

/* nvme.c: log one line into st.last_log (lock held). */
PDMA_INTERNAL void pdma__nvme_log(struct pdma_nvme *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* nvme_io.c: run what queue @qid holds (lock held). */
PDMA_INTERNAL void pdma__nvme_process(struct pdma_nvme *c, uint16_t qid);

#endif /* PDMA_DEV_NVME_INTERNAL_H */
