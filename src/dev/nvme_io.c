// SPDX-License-Identifier: MIT
/*
 * NVMe command execution: fetch a command from the SQ by DMA, turn its
 * PRPs into a scatter-gather list, move the data between the namespace
 * file and host (or peer) memory with the DMA engine, post a completion.
 * Every function here runs with the controller's lock held.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include "dev/nvme_internal.h"

#define PS PDMA_NVME_PAGE_SIZE

_Static_assert(sizeof(struct pdma_nvme_cmd) == 64, "an SQ entry is 64 bytes");
_Static_assert(sizeof(struct pdma_nvme_cqe) == 16, "a CQ entry is 16 bytes");

/* Walk PRP1/PRP2 (and PRP lists) for @len bytes into c->segs. */
static unsigned build_prps(struct pdma_nvme *c, const struct pdma_nvme_cmd *cmd,
			   uint64_t len, int *nents)
{
	uint64_t first = PS - (cmd->prp1 % PS), list, entry;
	int n = 0;

	if (first > len)
		first = len;
	c->segs[n++] = (struct pdma_sg){ cmd->prp1, first, 0 };
	len -= first;
	if (!len)
		goto done;
	if (len <= PS) {
		if (cmd->prp2 % PS)
			return PDMA_NVME_SC_INVALID_PRP_OFFSET;
		c->segs[n++] = (struct pdma_sg){ cmd->prp2, len, 0 };
		goto done;
	}
	/* PRP2 points to a list; its last entry may chain to the next. */
	list = cmd->prp2;
	if (list & 7)
		return PDMA_NVME_SC_INVALID_PRP_OFFSET;
	while (len) {
		uint64_t left_in_page = (PS - list % PS) / 8;
		int ret;

		ret = pdma_fabric_dma(c->dev.plat, c->dev.func, list, &entry,
				      sizeof(entry), PDMA_DMA_READ);
		if (ret) {
			pdma__nvme_log(c, "cannot read a PRP list at 0x%" PRIx64
				       ": %s", list, strerror(-ret));
			return PDMA_NVME_SC_DATA_XFER_ERROR;
		}
		if (left_in_page == 1 && len > PS) {
			/* The last slot of a list page: the next list. */
			if (entry & 7)
				return PDMA_NVME_SC_INVALID_PRP_OFFSET;
			list = entry;
			continue;
		}
		if (entry % PS)
			return PDMA_NVME_SC_INVALID_PRP_OFFSET;
		if (n == NVME_MAX_SEGS)
			return PDMA_NVME_SC_INVALID_FIELD;
		c->segs[n++] = (struct pdma_sg){ entry, len < PS ? len : PS, 0 };
		len -= c->segs[n - 1].len;
		list += 8;
	}
done:
	*nents = n;
	return PDMA_NVME_SC_SUCCESS;
}

static unsigned do_rw(struct pdma_nvme *c, const struct pdma_nvme_cmd *cmd)
{
	bool write = cmd->opcode == PDMA_NVME_CMD_WRITE;
	uint64_t slba = cmd->cdw10 | (uint64_t)cmd->cdw11 << 32;
	uint32_t nlb = (cmd->cdw12 & 0xffff) + 1;
	const struct nvme_ns *ns;
	uint64_t len;
	ssize_t done;
	unsigned sc;
	int nents, ret;

	if (cmd->nsid < 1 || cmd->nsid > (uint32_t)c->nr_ns)
		return PDMA_NVME_SC_INVALID_NS;
	ns = &c->ns[cmd->nsid - 1];
	if (slba >= ns->blocks || nlb > ns->blocks - slba)
		return PDMA_NVME_SC_LBA_RANGE;
	len = (uint64_t)nlb * ns->lba_size;
	if (len > PDMA_NVME_MAX_XFER)
		return PDMA_NVME_SC_INVALID_FIELD;
	sc = build_prps(c, cmd, len, &nents);
	if (sc)
		return sc;
	if (write) {
		ret = pdma_dev_dma_sg(&c->dev, c->segs, nents, c->buf, len,
				      PDMA_DMA_READ);
		if (ret)
			goto xfer_error;
		done = pwrite(ns->fd, c->buf, len, slba * ns->lba_size);
		if (done != (ssize_t)len)
			goto io_error;
		c->st.bytes_written += len;
	} else {
		done = pread(ns->fd, c->buf, len, slba * ns->lba_size);
		if (done < 0)
			goto io_error;
		/* A file shorter than the namespace reads as zeroes. */
		memset(c->buf + done, 0, len - done);
		ret = pdma_dev_dma_sg(&c->dev, c->segs, nents, c->buf, len,
				      PDMA_DMA_WRITE);
		if (ret)
			goto xfer_error;
		c->st.bytes_read += len;
	}
	return PDMA_NVME_SC_SUCCESS;

xfer_error:
	pdma__nvme_log(c, "%s cid %u: data transfer error: %s",
		       write ? "WRITE" : "READ", cmd->cid, strerror(-ret));
	return PDMA_NVME_SC_DATA_XFER_ERROR;
io_error:
	pdma__nvme_log(c, "%s cid %u: namespace %u file I/O failed",
		       write ? "WRITE" : "READ", cmd->cid, cmd->nsid);
	return PDMA_NVME_SC_INTERNAL;
}

static unsigned execute(struct pdma_nvme *c, const struct pdma_nvme_cmd *cmd)
{
	switch (cmd->opcode) {
	case PDMA_NVME_CMD_READ:
	case PDMA_NVME_CMD_WRITE:
		return do_rw(c, cmd);
	case PDMA_NVME_CMD_FLUSH:
		if (cmd->nsid == 0xffffffffu) {
			for (int i = 0; i < c->nr_ns; i++)
				if (fdatasync(c->ns[i].fd))
					return PDMA_NVME_SC_INTERNAL;
			return PDMA_NVME_SC_SUCCESS;
		}
		if (cmd->nsid < 1 || cmd->nsid > (uint32_t)c->nr_ns)
			return PDMA_NVME_SC_INVALID_NS;
		return fdatasync(c->ns[cmd->nsid - 1].fd) ?
			PDMA_NVME_SC_INTERNAL : PDMA_NVME_SC_SUCCESS;
	}
	return PDMA_NVME_SC_INVALID_OPCODE;
}

static void fatal(struct pdma_nvme *c, const char *what, uint64_t addr,
		  int ret)
{
	c->st.fatal = true;
	pdma__nvme_log(c, "controller fatal: cannot %s at 0x%" PRIx64 ": %s",
		       what, addr, strerror(-ret));
}

void pdma__nvme_process(struct pdma_nvme *c, uint16_t qid)
{
	struct pdma__qpair *q = &c->q[qid];

	while (!c->st.fatal && q->sq_head != q->sq_tail &&
	       !pdma__qpair_cq_full(q)) {
		uint64_t at = q->sq_dma + (uint64_t)q->sq_head * 64;
		struct pdma_nvme_cmd cmd;
		struct pdma_nvme_cqe cqe;
		unsigned sc;
		int ret;

		ret = pdma_fabric_dma(c->dev.plat, c->dev.func, at, &cmd,
				      sizeof(cmd), PDMA_DMA_READ);
		if (ret) {
			fatal(c, "fetch a command", at, ret);
			return;
		}
		q->sq_head = (q->sq_head + 1) % q->entries;
		c->st.commands++;
		sc = execute(c, &cmd);
		if (sc != PDMA_NVME_SC_SUCCESS) {
			c->st.errors++;
			if (sc == PDMA_NVME_SC_DATA_XFER_ERROR)
				c->st.xfer_errors++;
		}
		cqe = (struct pdma_nvme_cqe){
			.sq_head = (uint16_t)q->sq_head,
			.sq_id = qid,
			.cid = cmd.cid,
			.status = (uint16_t)(sc << 1 | q->phase),
		};
		at = q->cq_dma + (uint64_t)q->cq_tail * sizeof(cqe);
		ret = pdma_fabric_dma(c->dev.plat, c->dev.func, at, &cqe,
				      sizeof(cqe), PDMA_DMA_WRITE);
		if (ret) {
			fatal(c, "post a completion", at, ret);
			return;
		}
		pdma__qpair_cq_advance(q);
	}
}
