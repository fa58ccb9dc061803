// SPDX-License-Identifier: MIT
/*
 * Flows with a GPU buffer.
 *
 * nvme-to-gpu: the namespace holds the data; the NVMe controller READs it
 * into a GPU buffer object by the bus addresses of its dma-buf (P2P, a
 * static attachment that pins it), or into RAM from which the CPU copies
 * it into the buffer (bounce).  The GPU side is checked by reading the
 * buffer back.
 *
 * gpu-to-nic: the local NIC RDMA-WRITEs a GPU buffer to the remote host's
 * RAM: from a dynamic dma-buf MR (P2P, re-faulted when the buffer moves),
 * or from RAM the CPU copied the buffer into (bounce).  Fault: a thread
 * evicts and restores the buffer the whole time (an eviction storm).
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include <peerdma/resv.h>

#include "scenario_internal.h"

static uint64_t compare(const unsigned char *got, uint64_t len, uint64_t off,
			uint32_t seed, unsigned char *scratch)
{
	uint64_t bad = 0;

	pdma__sc_pattern(scratch, len, off, seed);
	for (uint64_t i = 0; i < len; i++)
		bad += got[i] != scratch[i];
	return bad;
}

static void fail(struct pdma_path_result *r, int err, const char *what)
{
	if (r->error)
		return;
	r->error = err;
	snprintf(r->error_text, sizeof(r->error_text), "%s: %s", what,
		 strerror(-err));
}

/* The namespace gets the pattern of @seed; its CRC in @r->src_crc. */
static int fill_namespace(int fd, uint64_t total, uint64_t io, uint32_t seed,
			  struct pdma_path_result *r)
{
	unsigned char *buf = malloc(io);
	uint32_t crc = (uint32_t)crc32(0, NULL, 0);

	if (!buf)
		return -ENOMEM;
	for (uint64_t off = 0; off < total; off += io) {
		pdma__sc_pattern(buf, io, off, seed);
		crc = (uint32_t)crc32(crc, buf, (uInt)io);
		if (pwrite(fd, buf, io, (off_t)off) != (ssize_t)io) {
			free(buf);
			return -EIO;
		}
	}
	r->src_crc = crc;
	free(buf);
	return 0;
}

/* The NVMe takes peer memory and keeps the buffer pinned: never moved. */
static void nvme_move_notify(struct pdma_dmabuf_attachment *a)
{
	(void)a;
}

static const struct pdma_dmabuf_importer_ops nvme_ops = {
	.allow_peer2peer = true,
	.move_notify = nvme_move_notify,
};

/* Pin the buffer where the NVMe can reach it, and map it. */
static int pin_map(struct pdma_dmabuf *buf, struct pdma_dmabuf_attachment *a,
		   struct pdma_sgt **sgt)
{
	struct pdma_resv *resv = pdma_dmabuf_resv(buf);
	int ret;

	*sgt = NULL;
	ret = pdma_resv_lock(resv, NULL);
	if (ret)
		return ret;
	ret = pdma_dmabuf_pin(a);
	if (!ret) {
		ret = pdma_dmabuf_map_attachment(a, PDMA_FROM_DEVICE, sgt);
		if (ret) {
			*sgt = NULL;
			pdma_dmabuf_unpin(a);
		}
	}
	pdma_resv_unlock(resv);
	return ret;
}

int pdma__sc_nvme_to_gpu(struct sc_env *e, const struct pdma_scenario_flow *f,
			 struct pdma_path_result *r)
{
	uint64_t io = f->io_size, slots = (uint64_t)f->queue_depth;
	uint64_t npg = io / 4096, total = f->total_bytes, phys, dma = 0;
	uint64_t *pages = NULL, *plist[64], slba[64];
	uint32_t npages[64], nsid, seed = 0x5eed;
	struct pdma_dmabuf_attachment *att = NULL;
	unsigned char *ram = NULL, *got = NULL, *scratch = NULL;
	struct pdma_dmabuf *buf = NULL;
	struct pdma_gpu_bo *bo = NULL;
	struct pdma_sgt *sgt = NULL;
	struct pdma_flow leg;
	struct pdma_error err;
	struct sc_queue q;
	int status[64], fd = -1, ret;
	double t0, busy = 0;

	r->src = e->nvme;
	r->dst = e->gpu;
	pdma__sc_verdict(e, e->gpu, e->nvme, r, NULL);
	if (f->mode == PDMA_FLOW_BOUNCE && r->p2p) {
		r->p2p = false;
		pdma__sc_why(r, true, "but mode is bounce: staged through RAM");
	}
	ret = pdma__sc_namespace(e, total, &nsid, &fd, &err);
	if (ret)
		return ret;
	ret = pdma__sc_queue(e, &q, (uint16_t)++e->nr_queues,
			     (uint32_t)slots + 1);
	pages = malloc(slots * npg * sizeof(*pages));
	got = malloc(io);
	scratch = malloc(io);
	if (!ret && (!pages || !got || !scratch))
		ret = -ENOMEM;
	if (!ret)
		ret = fill_namespace(fd, total, io, seed, r);
	if (!ret)
		ret = pdma_gpu_bo_create(e->gpu_dev, io * slots, 0, &bo);
	if (ret)
		goto out;
	if (r->p2p) {
		ret = pdma_gpu_bo_export(bo, &buf);
		if (!ret)
			ret = pdma_dmabuf_dynamic_attach(buf, e->nvme, &nvme_ops,
							 NULL, &att);
		if (!ret)
			ret = pin_map(buf, att, &sgt);
		if (ret) {
			r->p2p = false;
			pdma__sc_why(r, true, "but the GPU buffer could not be "
				     "mapped for the NVMe (%s): staged through "
				     "RAM", strerror(-ret));
		}
	}
	/* Page addresses, slot after slot. */
	if (r->p2p) {
		uint64_t k = 0;

		for (int s = 0; s < sgt->nents && k < slots * npg; s++)
			for (uint64_t o = 0; o < sgt->sgl[s].len &&
			     k < slots * npg; o += 4096)
				pages[k++] = sgt->sgl[s].dma_addr + o;
		dma = sgt->sgl[0].dma_addr;
	} else {
		ram = pdma__sc_alloc(&e->local, io * slots, &phys);
		ret = ram ? pdma__sc_map(&e->local, e->nvme, phys, io * slots,
					 &dma) : -ENOMEM;
		if (ret)
			goto out;
		for (uint64_t k = 0; k < slots * npg; k++)
			pages[k] = dma + k * 4096;
	}
	leg = (struct pdma_flow){ e->nvme, dma, true, 0 };
	pdma__sc_begin(e, r);
	do {
		uint32_t crc = (uint32_t)crc32(0, NULL, 0);

		r->corrupt_bytes = 0;
		for (uint64_t off = 0; off < total; off += io * slots) {
			int n = (int)((total - off) / io < slots ?
				      (total - off) / io : slots);

			for (int i = 0; i < n; i++) {
				plist[i] = pages + i * npg;
				npages[i] = (uint32_t)npg;
				slba[i] = (off + i * io) / 4096;
			}
			t0 = pdma__sc_now();
			ret = pdma__sc_nvme_batch(&q, PDMA_NVME_CMD_READ, nsid,
						  slba,
						  (const uint64_t *const *)plist,
						  npages, n, status);
			for (int i = 0; i < n && !ret; i++) {
				if (status[i]) {
					ret = -EIO;
					fail(r, -EIO, "NVMe READ into the "
					     "buffer failed");
				} else if (ram) {
					ret = pdma_gpu_bo_write(bo, i * io,
								ram + i * io,
								io);
				}
			}
			busy += pdma__sc_now() - t0;
			if (ret)
				goto out_end;
			for (int i = 0; i < n; i++) {
				ret = pdma_gpu_bo_read(bo, i * io, got, io);
				if (ret)
					goto out_end;
				crc = (uint32_t)crc32(crc, got, (uInt)io);
				r->corrupt_bytes += compare(got, io,
							    off + i * io,
							    seed, scratch);
			}
			r->bytes += (uint64_t)n * io;
			pdma__sc_progress(e, f, off + (uint64_t)n * io, total);
		}
		r->dst_crc = crc;
	} while (busy < f->duration);
	pdma__sc_end(e, r, busy);
	pdma__sc_model(e, r, &leg, 1);
	r->verified = !r->corrupt_bytes && r->src_crc == r->dst_crc;
	ret = 0;
	goto out;
out_end:
	pdma__sc_end(e, r, busy);
out:
	if (sgt) {
		pdma_resv_lock(pdma_dmabuf_resv(buf), NULL);
		pdma_dmabuf_unmap_attachment(att, sgt, PDMA_FROM_DEVICE);
		pdma_dmabuf_unpin(att);
		pdma_resv_unlock(pdma_dmabuf_resv(buf));
	}
	if (att)
		pdma_dmabuf_detach(buf, att);
	if (buf)
		pdma_dmabuf_put(buf);
	pdma_gpu_bo_put(bo);
	free(pages);
	free(got);
	free(scratch);
	if (fd >= 0)
		close(fd);
	return ret;
}

struct storm {
	struct pdma_gpu_bo *bo;
	atomic_bool stop;
	pthread_t thread;
	uint64_t rounds;
};

static void *storm_main(void *arg)
{
	struct storm *s = arg;

	while (!atomic_load(&s->stop)) {
		if (!pdma_gpu_bo_evict(s->bo))
			s->rounds++;
		pdma_gpu_bo_restore(s->bo);
	}
	return NULL;
}

int pdma__sc_gpu_to_nic(struct sc_env *e, const struct pdma_scenario_flow *f,
			struct pdma_path_result *r)
{
	uint64_t io = f->io_size, slots = (uint64_t)f->queue_depth;
	uint64_t total = f->total_bytes, phys, rphys;
	struct pdma_rnic_mr *src_mr = NULL, *dst_mr = NULL;
	struct pdma_rnic_stats ns0, ns1;
	struct pdma_gpu_stats gs0, gs1;
	unsigned char *ram = NULL, *dst, *scratch = malloc(io);
	unsigned char *fill = malloc(io);
	struct pdma_dmabuf *buf = NULL;
	struct pdma_gpu_bo *bo = NULL;
	struct storm storm = { 0 };
	bool storming = false;
	struct pdma_flow leg;
	uint32_t seed = 0xfeed;
	double t0, busy = 0;
	int ret;

	r->src = e->gpu;
	r->dst = e->nic;
	pdma__sc_verdict(e, e->gpu, e->nic, r, NULL);
	if (f->mode == PDMA_FLOW_BOUNCE && r->p2p) {
		r->p2p = false;
		pdma__sc_why(r, true, "but mode is bounce: staged through RAM");
	}
	dst = pdma__sc_alloc(&e->remote, io * slots, &rphys);
	ret = !dst || !scratch || !fill ? -ENOMEM : 0;
	if (!ret)
		ret = pdma_rnic_reg_phys(e->rnic, rphys, io * slots,
					 PDMA_RNIC_LOCAL_WRITE |
					 PDMA_RNIC_REMOTE_WRITE, &dst_mr);
	if (!ret)
		ret = pdma_gpu_bo_create(e->gpu_dev, io * slots, 0, &bo);
	if (ret)
		goto out;
	if (r->p2p) {
		ret = pdma_gpu_bo_export(bo, &buf);
		if (!ret)
			ret = pdma_rnic_reg_dmabuf(e->lnic, buf, 0, 0, &src_mr);
		if (ret) {
			r->p2p = false;
			pdma__sc_why(r, true, "but the NIC could not register "
				     "the GPU buffer (%s): staged through RAM",
				     strerror(-ret));
		}
	}
	if (!r->p2p) {
		ram = pdma__sc_alloc(&e->local, io * slots, &phys);
		ret = ram ? pdma_rnic_reg_phys(e->lnic, phys, io * slots, 0,
					       &src_mr) : -ENOMEM;
		if (ret)
			goto out;
	}
	leg = (struct pdma_flow){ e->nic, 0, false, 0 };
	if (ram)
		leg.addr = phys;
	else {
		struct pdma_bar_map bm;
		int bar = -1;

		for (int b = 0; b < 6 && bar < 0; b++)
			if (!pdma_platform_bar(e->local.plat, e->gpu, b, &bm) &&
			    bm.size >= io * slots)
				bar = b;
		leg.addr = bar >= 0 ? bm.bus_addr : 0;
	}
	pdma_gpu_stats(e->gpu_dev, &gs0);
	pdma_rnic_stats(e->lnic, &ns0);
	if (f->evict_storm && r->p2p) {
		storm.bo = bo;
		if (pthread_create(&storm.thread, NULL, storm_main, &storm) == 0)
			storming = true;
	}
	pdma__sc_begin(e, r);
	do {
		uint32_t scrc = (uint32_t)crc32(0, NULL, 0);
		uint32_t dcrc = scrc;

		r->corrupt_bytes = 0;
		for (uint64_t off = 0; off < total; off += io * slots) {
			int n = (int)((total - off) / io < slots ?
				      (total - off) / io : slots);

			/* The GPU's data for this batch (the producer). */
			for (int i = 0; i < n && !ret; i++) {
				pdma__sc_pattern(fill, io, off + i * io, seed);
				scrc = (uint32_t)crc32(scrc, fill, (uInt)io);
				ret = pdma_gpu_bo_write(bo, i * io, fill, io);
			}
			memset(dst, 0, io * slots);
			t0 = pdma__sc_now();
			for (int i = 0; i < n && !ret; i++) {
				struct pdma_rnic_wc wc;

				if (ram)
					ret = pdma_gpu_bo_read(bo, i * io,
							       ram + i * io, io);
				if (!ret &&
				    pdma_rnic_write(e->lnic,
						    pdma_rnic_mr_lkey(src_mr),
						    i * io,
						    pdma_rnic_mr_rkey(dst_mr),
						    i * io, io, &wc)) {
					ret = wc.status;
					fail(r, wc.status, "RDMA WRITE from the "
					     "GPU buffer failed");
				}
			}
			busy += pdma__sc_now() - t0;
			if (ret)
				goto out_end;
			for (int i = 0; i < n; i++) {
				dcrc = (uint32_t)crc32(dcrc, dst + i * io,
						       (uInt)io);
				r->corrupt_bytes += compare(dst + i * io, io,
							    off + i * io, seed,
							    scratch);
			}
			r->bytes += (uint64_t)n * io;
			pdma__sc_progress(e, f, off + (uint64_t)n * io, total);
		}
		r->src_crc = scrc;
		r->dst_crc = dcrc;
	} while (busy < f->duration);
out_end:
	if (storming) {
		atomic_store(&storm.stop, true);
		pthread_join(storm.thread, NULL);
	}
	pdma__sc_end(e, r, busy);
	pdma_gpu_stats(e->gpu_dev, &gs1);
	pdma_rnic_stats(e->lnic, &ns1);
	r->evictions = storm.rounds + gs1.evictions - gs0.evictions;
	r->refaults = ns1.faults - ns0.faults;
	if (!ret) {
		pdma__sc_model(e, r, &leg, 1);
		r->verified = !r->corrupt_bytes && r->src_crc == r->dst_crc;
	}
out:
	pdma_rnic_dereg(src_mr);
	pdma_rnic_dereg(dst_mr);
	if (buf)
		pdma_dmabuf_put(buf);
	pdma_gpu_bo_put(bo);
	free(scratch);
	free(fill);
	return ret;
}
