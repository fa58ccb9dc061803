/* SPDX-License-Identifier: MIT */
/* Private to the accelerator (accel.c, accel_ops.c). */
#ifndef PDMA_DEV_ACCEL_INTERNAL_H
#define PDMA_DEV_ACCEL_INTERNAL_H

#include <pthread.h>

#include <peerdma/accel.h>

#include "dev/dev_internal.h"

struct accel_key {
	bool set;
	uint8_t key[32];
};

/*
 * struct pdma_accel - the device.  Everything below @lock is protected by
 * it; @dev is immutable after create.
 */
struct pdma_accel {
	struct pdma_dev dev;

	pthread_mutex_t lock;
	struct accel_key keys[PDMA_ACCEL_KEY_SLOTS];
	struct pdma__qpair q[PDMA_ACCEL_MAX_QUEUES];
	struct pdma_accel_stats st;
	unsigned char *in;	/* local memory: PDMA_ACCEL_MAX_LEN */
	unsigned char *out;	/* PDMA_ACCEL_MAX_LEN + PDMA_ACCEL_TAG_LEN */
};

/* accel.c: log one line into st.last_log (lock held). */
PDMA_INTERNAL void pdma__accel_log(struct pdma_accel *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* accel_ops.c: run what queue @qid holds (lock held). */
PDMA_INTERNAL void pdma__accel_process(struct pdma_accel *a, uint16_t qid);

#endif /* PDMA_DEV_ACCEL_INTERNAL_H */
