// SPDX-License-Identifier: MIT
/*
 * The emulated NVMe controller: lifecycle, namespaces, queues, doorbells
 * and the controller memory buffer.  Command execution is in nvme_io.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <peerdma/mem.h>

#include "dev/nvme_internal.h"

void pdma_nvme_opts_init(struct pdma_nvme_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->size = sizeof(*o);
	o->cmb_bar = -1;
	o->max_queues = 8;
}

void pdma__nvme_log(struct pdma_nvme *c, const char *fmt, ...)
{
	const struct pdma_func_info *fi =
		pdma_fabric_func(pdma_platform_fabric(c->dev.plat), c->dev.func);
	char line[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	snprintf(c->st.last_log, sizeof(c->st.last_log),
		 "nvme %04x:%02x:%02x.%x: %s", fi->domain, fi->bus, fi->dev,
		 fi->fn, line);
}

static int cmb_setup(struct pdma_nvme *c, int bar, struct pdma_error *err)
{
	int ret;

	ret = pdma_platform_p2pmem_provider(c->dev.plat, c->dev.func, bar,
					    &c->cmb);
	if (ret) {
		pdma__err(err, "nvme: function %d has no memory BAR %d for a "
			  "CMB: give an existing BAR as cmb_bar", c->dev.func,
			  bar);
		return ret;
	}
	ret = pdma_p2pmem_add_resource(c->cmb, bar, 0, 0);
	if (!ret)
		ret = pdma_p2pmem_publish(c->cmb, true);
	if (ret) {
		pdma__err(err, "nvme: cannot publish BAR %d of function %d as "
			  "p2pmem (%s)", bar, c->dev.func, strerror(-ret));
		pdma_p2pmem_provider_put(c->cmb);
		c->cmb = NULL;
	}
	return ret;
}

int pdma_nvme_create(struct pdma_platform *plat, struct pdma_dma *dma,
		     int func, const struct pdma_nvme_opts *opts,
		     struct pdma_nvme **out, struct pdma_error *err)
{
	struct pdma_nvme_opts o;
	struct pdma_nvme *c;
	int ret;

	*out = NULL;
	pdma_nvme_opts_init(&o);
	if (opts) {
		if (opts->size < sizeof(o)) {
			pdma__err(err, "nvme: options of size %zu, expected %zu:"
				  " call pdma_nvme_opts_init()", opts->size,
				  sizeof(o));
			return -EINVAL;
		}
		o = *opts;
	}
	if (o.max_queues < 1 || o.max_queues > NVME_MAX_QUEUES) {
		pdma__err(err, "nvme: max_queues %d outside 1..%d",
			  o.max_queues, NVME_MAX_QUEUES);
		return -EINVAL;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	ret = pdma_dev_init(&c->dev, plat, dma, func);
	if (ret) {
		pdma__err(err, "nvme: no function %d on this platform", func);
		goto err_free;
	}
	c->max_queues = o.max_queues;
	c->buf = malloc(PDMA_NVME_MAX_XFER);
	if (!c->buf) {
		ret = -ENOMEM;
		goto err_free;
	}
	if (o.cmb_bar >= 0) {
		ret = cmb_setup(c, o.cmb_bar, err);
		if (ret)
			goto err_free_buf;
	}
	ret = pthread_mutex_init(&c->lock, NULL);
	if (ret) {
		ret = -ret;
		goto err_put_cmb;
	}
	*out = c;
	return 0;

err_put_cmb:
	if (c->cmb) {
		pdma_p2pmem_remove(c->cmb);
		pdma_p2pmem_provider_put(c->cmb);
	}
err_free_buf:
	free(c->buf);
err_free:
	free(c);
	return ret;
}

void pdma_nvme_destroy(struct pdma_nvme *c)
{
	if (!c)
		return;
	if (c->cmb) {
		pdma_p2pmem_remove(c->cmb);	/* -ENODEV if already gone */
		pdma_p2pmem_provider_put(c->cmb);
	}
	for (int i = 0; i < c->nr_ns; i++)
		close(c->ns[i].fd);
	pthread_mutex_destroy(&c->lock);
	free(c->buf);
	free(c);
}

struct pdma_p2pmem_provider *pdma_nvme_cmb(struct pdma_nvme *c)
{
	return c->cmb;
}

int pdma_nvme_add_namespace(struct pdma_nvme *c, const char *path,
			    unsigned lba_size, uint32_t *nsid,
			    struct pdma_error *err)
{
	struct stat sb;
	int fd, ret;

	if (lba_size != 512 && lba_size != 4096) {
		pdma__err(err, "%s: LBA size %u: use 512 or 4096", path,
			  lba_size);
		return -EINVAL;
	}
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		pdma__err(err, "%s: cannot open a namespace file: %s", path,
			  strerror(errno));
		return ret;
	}
	if (fstat(fd, &sb)) {
		ret = -errno;
		pdma__err(err, "%s: %s", path, strerror(errno));
		goto err_close;
	}
	if ((uint64_t)sb.st_size < lba_size) {
		pdma__err(err, "%s: %lld bytes, less than one %u-byte block: "
			  "make the file larger (truncate -s)", path,
			  (long long)sb.st_size, lba_size);
		ret = -EINVAL;
		goto err_close;
	}
	pthread_mutex_lock(&c->lock);
	if (c->nr_ns == NVME_MAX_NS) {
		pthread_mutex_unlock(&c->lock);
		pdma__err(err, "%s: the controller has %d namespaces already",
			  path, NVME_MAX_NS);
		ret = -EINVAL;
		goto err_close;
	}
	c->ns[c->nr_ns] = (struct nvme_ns){ fd, lba_size,
					    (uint64_t)sb.st_size / lba_size };
	c->nr_ns++;
	if (nsid)
		*nsid = (uint32_t)c->nr_ns;
	pthread_mutex_unlock(&c->lock);
	return 0;

err_close:
	close(fd);
	return ret;
}

uint64_t pdma_nvme_ns_blocks(struct pdma_nvme *c, uint32_t nsid)
{
	uint64_t n = 0;

	pthread_mutex_lock(&c->lock);
	if (nsid >= 1 && nsid <= (uint32_t)c->nr_ns)
		n = c->ns[nsid - 1].blocks;
	pthread_mutex_unlock(&c->lock);
	return n;
}

int pdma_nvme_create_queue(struct pdma_nvme *c, uint16_t qid, uint64_t sq_dma,
			   uint64_t cq_dma, uint32_t entries)
{
	int ret = 0;

	if (qid < 1 || qid > c->max_queues || entries < 2 || entries > 4096 ||
	    (sq_dma & 3) || (cq_dma & 3))
		return -EINVAL;
	pthread_mutex_lock(&c->lock);
	if (c->q[qid].live)
		ret = -EEXIST;
	else
		pdma__qpair_init(&c->q[qid], sq_dma, cq_dma, entries);
	pthread_mutex_unlock(&c->lock);
	return ret;
}

int pdma_nvme_delete_queue(struct pdma_nvme *c, uint16_t qid)
{
	int ret = -ENOENT;

	if (qid < 1 || qid > c->max_queues)
		return -ENOENT;
	pthread_mutex_lock(&c->lock);
	if (c->q[qid].live) {
		c->q[qid].live = false;
		ret = 0;
	}
	pthread_mutex_unlock(&c->lock);
	return ret;
}

/* A doorbell write the controller must ignore (lock held). */
static int bad_doorbell(struct pdma_nvme *c, const char *which, uint16_t qid,
			const char *why)
{
	c->st.bad_doorbells++;
	pdma__nvme_log(c, "ignored %s doorbell write for queue %u: %s", which,
		       qid, why);
	return -EINVAL;
}

/* Common checks of both doorbells (lock held); NULL when rejected. */
static struct pdma__qpair *doorbell_queue(struct pdma_nvme *c,
					  const char *which, uint16_t qid,
					  int *ret)
{
	if (c->st.fatal) {
		*ret = -EIO;
		c->st.bad_doorbells++;
		pdma__nvme_log(c, "ignored %s doorbell write for queue %u: "
			       "the controller is in the fatal state", which,
			       qid);
		return NULL;
	}
	if (qid < 1 || qid > c->max_queues || !c->q[qid].live) {
		*ret = bad_doorbell(c, which, qid, "no such I/O queue");
		return NULL;
	}
	return &c->q[qid];
}

int pdma_nvme_ring_sq(struct pdma_nvme *c, uint16_t qid, uint32_t tail)
{
	struct pdma__qpair *q;
	char why[128];
	int ret = 0;

	pthread_mutex_lock(&c->lock);
	q = doorbell_queue(c, "SQ tail", qid, &ret);
	if (!q)
		goto out;
	if (pdma__qpair_check_sq(q, tail, why, sizeof(why))) {
		ret = bad_doorbell(c, "SQ tail", qid, why);
		goto out;
	}
	q->sq_tail = tail;
	pdma__nvme_process(c, qid);
out:
	pthread_mutex_unlock(&c->lock);
	return ret;
}

int pdma_nvme_ring_cq(struct pdma_nvme *c, uint16_t qid, uint32_t head)
{
	struct pdma__qpair *q;
	char why[128];
	int ret = 0;

	pthread_mutex_lock(&c->lock);
	q = doorbell_queue(c, "CQ head", qid, &ret);
	if (!q)
		goto out;
	if (pdma__qpair_check_cq(q, head, why, sizeof(why))) {
		ret = bad_doorbell(c, "CQ head", qid, why);
		goto out;
	}
	q->cq_head = head;
	pdma__nvme_process(c, qid);	/* commands waiting for room */
out:
	pthread_mutex_unlock(&c->lock);
	return ret;
}

void pdma_nvme_get_stats(struct pdma_nvme *c, struct pdma_nvme_stats *st)
{
	pthread_mutex_lock(&c->lock);
	*st = c->st;
	pthread_mutex_unlock(&c->lock);
}

const char *pdma_nvme_status_name(unsigned sc)
{
	switch (sc) {
	case PDMA_NVME_SC_SUCCESS:		return "success";
	case PDMA_NVME_SC_INVALID_OPCODE:	return "invalid opcode";
	case PDMA_NVME_SC_INVALID_FIELD:	return "invalid field";
	case PDMA_NVME_SC_DATA_XFER_ERROR:	return "data transfer error";
	case PDMA_NVME_SC_INTERNAL:		return "internal error";
	case PDMA_NVME_SC_INVALID_NS:		return "invalid namespace";
	case PDMA_NVME_SC_INVALID_PRP_OFFSET:	return "invalid PRP offset";
	case PDMA_NVME_SC_LBA_RANGE:		return "LBA out of range";
	}
	return "unknown status";
}
