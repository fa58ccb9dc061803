// SPDX-License-Identifier: MIT
/*
 * The emulated accelerator: lifecycle, key table, queues and doorbells.
 * The operations are in accel_ops.c.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dev/accel_internal.h"

void pdma__accel_log(struct pdma_accel *a, const char *fmt, ...)
{
	const struct pdma_func_info *fi =
		pdma_fabric_func(pdma_platform_fabric(a->dev.plat), a->dev.func);
	char line[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	snprintf(a->st.last_log, sizeof(a->st.last_log),
		 "accel %04x:%02x:%02x.%x: %s", fi->domain, fi->bus, fi->dev,
		 fi->fn, line);
}

int pdma_accel_create(struct pdma_platform *plat, struct pdma_dma *dma,
		      int func, struct pdma_accel **out,
		      struct pdma_error *err)
{
	struct pdma_accel *a;
	int ret;

	*out = NULL;
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	ret = pdma_dev_init(&a->dev, plat, dma, func);
	if (ret) {
		pdma__err(err, "accel: no function %d on this platform", func);
		goto err_free;
	}
	ret = -ENOMEM;
	a->in = malloc(PDMA_ACCEL_MAX_LEN);
	if (!a->in)
		goto err_free;
	a->out = malloc(PDMA_ACCEL_MAX_LEN + PDMA_ACCEL_TAG_LEN);
	if (!a->out)
		goto err_free_in;
	ret = -pthread_mutex_init(&a->lock, NULL);
	if (ret)
		goto err_free_out;
	*out = a;
	return 0;

err_free_out:
	free(a->out);
err_free_in:
	free(a->in);
err_free:
	free(a);
	return ret;
}

void pdma_accel_destroy(struct pdma_accel *a)
{
	if (!a)
		return;
	/* Keys do not outlive the device (explicit_bzero: not optimized out). */
	explicit_bzero(a->keys, sizeof(a->keys));
	pthread_mutex_destroy(&a->lock);
	free(a->out);
	free(a->in);
	free(a);
}

int pdma_accel_set_key(struct pdma_accel *a, unsigned slot,
		       const uint8_t key[32])
{
	if (slot >= PDMA_ACCEL_KEY_SLOTS)
		return -EINVAL;
	pthread_mutex_lock(&a->lock);
	a->keys[slot].set = key != NULL;
	if (key)
		memcpy(a->keys[slot].key, key, 32);
	else
		explicit_bzero(a->keys[slot].key, 32);
	pthread_mutex_unlock(&a->lock);
	return 0;
}

int pdma_accel_create_queue(struct pdma_accel *a, uint16_t qid,
			    uint64_t sq_dma, uint64_t cq_dma, uint32_t entries)
{
	int ret = 0;

	if (qid >= PDMA_ACCEL_MAX_QUEUES || entries < 2 || entries > 4096 ||
	    (sq_dma & 3) || (cq_dma & 3))
		return -EINVAL;
	pthread_mutex_lock(&a->lock);
	if (a->q[qid].live)
		ret = -EEXIST;
	else
		pdma__qpair_init(&a->q[qid], sq_dma, cq_dma, entries);
	pthread_mutex_unlock(&a->lock);
	return ret;
}

int pdma_accel_delete_queue(struct pdma_accel *a, uint16_t qid)
{
	int ret = -ENOENT;

	if (qid >= PDMA_ACCEL_MAX_QUEUES)
		return -ENOENT;
	pthread_mutex_lock(&a->lock);
	if (a->q[qid].live) {
		a->q[qid].live = false;
		ret = 0;
	}
	pthread_mutex_unlock(&a->lock);
	return ret;
}

/*
 * Validate a doorbell write (lock held): NULL, *@ret set, when it is
 * ignored.  @sq says which doorbell.
 */
static struct pdma__qpair *doorbell(struct pdma_accel *a, bool sq,
				    uint16_t qid, uint32_t val, int *ret)
{
	const char *which = sq ? "SQ tail" : "CQ head";
	struct pdma__qpair *q;
	char why[128];

	*ret = -EINVAL;
	if (a->st.fatal) {
		*ret = -EIO;
		snprintf(why, sizeof(why), "the device is in the fatal state");
		goto bad;
	}
	if (qid >= PDMA_ACCEL_MAX_QUEUES || !a->q[qid].live) {
		snprintf(why, sizeof(why), "no such queue");
		goto bad;
	}
	q = &a->q[qid];
	if (sq ? pdma__qpair_check_sq(q, val, why, sizeof(why)) :
		 pdma__qpair_check_cq(q, val, why, sizeof(why)))
		goto bad;
	*ret = 0;
	return q;
bad:
	a->st.bad_doorbells++;
	pdma__accel_log(a, "ignored %s doorbell write %u for queue %u: %s",
			which, val, qid, why);
	return NULL;
}

int pdma_accel_ring_sq(struct pdma_accel *a, uint16_t qid, uint32_t tail)
{
	struct pdma__qpair *q;
	int ret;

	pthread_mutex_lock(&a->lock);
	q = doorbell(a, true, qid, tail, &ret);
	if (q) {
		q->sq_tail = tail;
		pdma__accel_process(a, qid);
	}
	pthread_mutex_unlock(&a->lock);
	return ret;
}

int pdma_accel_ring_cq(struct pdma_accel *a, uint16_t qid, uint32_t head)
{
	struct pdma__qpair *q;
	int ret;

	pthread_mutex_lock(&a->lock);
	q = doorbell(a, false, qid, head, &ret);
	if (q) {
		q->cq_head = head;
		pdma__accel_process(a, qid);
	}
	pthread_mutex_unlock(&a->lock);
	return ret;
}

void pdma_accel_get_stats(struct pdma_accel *a, struct pdma_accel_stats *st)
{
	pthread_mutex_lock(&a->lock);
	*st = a->st;
	pthread_mutex_unlock(&a->lock);
}

const char *pdma_accel_status_name(unsigned status)
{
	switch (status) {
	case PDMA_ACCEL_OK:		return "ok";
	case PDMA_ACCEL_INVALID_OP:	return "invalid opcode";
	case PDMA_ACCEL_INVALID_FIELD:	return "invalid field";
	case PDMA_ACCEL_XFER_ERROR:	return "data transfer error";
	case PDMA_ACCEL_AUTH_FAILED:	return "authentication failed";
	case PDMA_ACCEL_DATA_ERROR:	return "corrupt input data";
	case PDMA_ACCEL_OVERFLOW:	return "output does not fit";
	}
	return "unknown status";
}
