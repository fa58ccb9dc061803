// SPDX-License-Identifier: MIT
/*
 * The copy offload (nic-to-nvme): an NVMe-over-fabrics target.  The remote
 * host RDMA-WRITEs each I/O into a staging buffer of the local NIC's MR,
 * then the NVMe controller WRITEs it from there to its namespace.  The
 * staging buffer is the controller's own CMB (P2P: the data never touches
 * RAM) or RAM (bounce).  Fault: the CMB's provider is removed (hot unplug)
 * mid-way: the work in flight fails, the buffer is released so the removal
 * completes, and the rest is staged through RAM.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "scenario_internal.h"

struct stage {
	bool p2p;
	void *buf;			/* CPU pointer of the staging memory */
	uint64_t dma;			/* its address as the NVMe sees it */
	uint64_t nic_dma;		/* and as the NIC sees it */
	struct pdma_rnic_mr *mr;	/* the local NIC's MR over it */
	struct pdma_p2pmem_provider *prov;
	uint64_t len;
};

static int stage_ram(struct sc_env *e, struct stage *s, uint64_t len)
{
	uint64_t phys;
	int ret;

	memset(s, 0, sizeof(*s));
	s->len = len;
	s->buf = pdma__sc_alloc(&e->local, len, &phys);
	if (!s->buf)
		return -ENOMEM;
	ret = pdma__sc_map(&e->local, e->nvme, phys, len, &s->dma);
	if (!ret)	/* the NIC's own mapping, for the link model */
		ret = pdma__sc_map(&e->local, e->nic, phys, len, &s->nic_dma);
	if (!ret)
		ret = pdma_rnic_reg_phys(e->lnic, phys, len,
					 PDMA_RNIC_LOCAL_WRITE |
					 PDMA_RNIC_REMOTE_WRITE, &s->mr);
	return ret;
}

static int stage_cmb(struct sc_env *e, struct stage *s, uint64_t len)
{
	uint64_t phys;
	int ret;

	memset(s, 0, sizeof(*s));
	s->len = len;
	s->p2p = true;
	s->prov = pdma_nvme_cmb(e->ctrl);
	ret = pdma_p2pmem_alloc(s->prov, len, &s->buf);
	if (ret) {
		s->buf = NULL;
		return ret;
	}
	phys = pdma_p2pmem_virt_to_phys(s->prov, s->buf);
	ret = pdma__sc_map(&e->local, e->nvme, phys, len, &s->dma);
	if (!ret)
		ret = pdma__sc_map(&e->local, e->nic, phys, len, &s->nic_dma);
	if (!ret)
		ret = pdma_rnic_reg_p2pmem(e->lnic, s->prov, s->buf, len,
					   PDMA_RNIC_LOCAL_WRITE |
					   PDMA_RNIC_REMOTE_WRITE, &s->mr);
	return ret;
}

static void stage_release(struct stage *s)
{
	pdma_rnic_dereg(s->mr);
	s->mr = NULL;
	if (s->p2p && s->buf)
		pdma_p2pmem_free(s->prov, s->buf, s->len);
	s->buf = NULL;
}

struct remover {
	struct pdma_p2pmem_provider *prov;
	pthread_t thread;
	bool started;
	int ret;
};

static void *remover_main(void *arg)
{
	struct remover *rm = arg;

	rm->ret = pdma_p2pmem_remove(rm->prov);
	return NULL;
}

/* Start the hot unplug and wait until the provider is revoked. */
static int unplug(struct remover *rm, struct pdma_p2pmem_provider *prov)
{
	rm->prov = prov;
	if (pthread_create(&rm->thread, NULL, remover_main, rm))
		return -EAGAIN;
	rm->started = true;
	for (int i = 0; i < 20000 && pdma_p2pmem_has_p2pmem(prov); i++)
		usleep(100);
	return 0;
}

/* Read the namespace back and compare with the pattern of @seed. */
static void verify(int fd, uint64_t total, uint64_t io, uint32_t seed,
		   struct pdma_path_result *r)
{
	unsigned char *got = malloc(io), *want = malloc(io);
	uint32_t crc = (uint32_t)crc32(0, NULL, 0);

	r->corrupt_bytes = 0;
	for (uint64_t off = 0; got && want && off < total; off += io) {
		if (pread(fd, got, io, (off_t)off) != (ssize_t)io) {
			r->corrupt_bytes += io;
			continue;
		}
		pdma__sc_pattern(want, io, off, seed);
		crc = (uint32_t)crc32(crc, got, (uInt)io);
		for (uint64_t i = 0; i < io; i++)
			r->corrupt_bytes += got[i] != want[i];
	}
	if (!got || !want)
		r->corrupt_bytes = total;
	r->dst_crc = crc;
	free(got);
	free(want);
}

int pdma__sc_nic_to_nvme(struct sc_env *e, const struct pdma_scenario_flow *f,
			 struct pdma_path_result *r)
{
	uint64_t io = f->io_size, slots = (uint64_t)f->queue_depth;
	uint64_t npg = io / 4096, total = f->total_bytes, src_phys;
	uint64_t *pages = NULL, *plist[64], slba[64];
	uint32_t npages[64], nsid;
	int status[64], fd = -1, ret, pass = 0;
	struct pdma_rnic_mr *src_mr = NULL;
	struct remover rm = { 0 };
	struct sc_queue q;
	struct stage st = { 0 };
	struct pdma_error err;
	struct pdma_flow legs[2];
	unsigned char *src;
	double t0, busy = 0;
	uint32_t seed = 0;

	r->src = e->nic;
	r->dst = e->nvme;
	pdma__sc_verdict(e, e->nvme, e->nic, r, e->cmb_bar < 0 ?
			 "the NVMe has no controller memory buffer" : NULL);
	if (f->mode == PDMA_FLOW_BOUNCE && r->p2p) {
		r->p2p = false;
		pdma__sc_why(r, true, "but mode is bounce: staged through "
			     "RAM");
	}
	ret = pdma__sc_namespace(e, total, &nsid, &fd, &err);
	if (ret)
		goto out;
	ret = pdma__sc_queue(e, &q, (uint16_t)++e->nr_queues,
			     (uint32_t)slots + 1);
	if (ret)
		goto out_fd;
	src = pdma__sc_alloc(&e->remote, io * slots, &src_phys);
	pages = malloc(slots * npg * sizeof(*pages));
	if (!src || !pages) {
		ret = -ENOMEM;
		goto out_fd;
	}
	ret = pdma_rnic_reg_phys(e->rnic, src_phys, io * slots, 0, &src_mr);
	if (ret)
		goto out_fd;
	if (r->p2p) {
		ret = stage_cmb(e, &st, io * slots);
		if (ret) {
			stage_release(&st);
			r->p2p = false;
			pdma__sc_why(r, true, "but the CMB could not be "
				     "used (%s): staged through RAM",
				     strerror(-ret));
		}
	}
	if (!r->p2p && (ret = stage_ram(e, &st, io * slots)))
		goto out_stage;
	pdma__sc_begin(e, r);
	do {
		uint32_t crc = (uint32_t)crc32(0, NULL, 0);

		seed = (uint32_t)(pass + 1) * 2654435761u + (uint32_t)nsid;
		for (uint64_t off = 0; off < total; off += io * slots) {
			int n = (int)((total - off) / io < slots ?
				      (total - off) / io : slots);
			bool failed = false;

			if (rm.started == false && f->unplug_at > 0 && st.p2p &&
			    off >= (uint64_t)(f->unplug_at * (double)total))
				unplug(&rm, st.prov);
			for (int i = 0; i < n; i++) {
				pdma__sc_pattern(src + i * io, io, off + i * io,
						 seed);
				crc = (uint32_t)crc32(crc, src + i * io,
						      (uInt)io);
			}
retry:
			t0 = pdma__sc_now();
			for (int i = 0; i < n && !failed; i++) {
				struct pdma_rnic_wc wc;

				if (pdma_rnic_write(e->rnic,
						    pdma_rnic_mr_lkey(src_mr),
						    i * io, pdma_rnic_mr_rkey(st.mr),
						    i * io, io, &wc)) {
					failed = true;
					if (!r->error) {
						r->error = wc.status;
						snprintf(r->error_text,
							 sizeof(r->error_text),
							 "RDMA WRITE into the "
							 "staging buffer failed: "
							 "%s", strerror(-wc.status));
					}
				}
				plist[i] = pages + i * npg;
				npages[i] = (uint32_t)npg;
				slba[i] = (off + i * io) / 4096;
				for (uint64_t k = 0; k < npg; k++)
					plist[i][k] = st.dma + i * io + k * 4096;
			}
			if (!failed) {
				ret = pdma__sc_nvme_batch(&q, PDMA_NVME_CMD_WRITE,
							  nsid, slba,
							  (const uint64_t *const *)plist,
							  npages, n, status);
				if (ret)
					goto out_end;
				for (int i = 0; i < n && !failed; i++) {
					if (!status[i])
						continue;
					failed = true;
					if (!r->error) {
						struct pdma_nvme_stats ns;

						pdma_nvme_get_stats(e->ctrl, &ns);
						r->error = -EIO;
						snprintf(r->error_text,
							 sizeof(r->error_text),
							 "NVMe WRITE: %s (%.180s)",
							 pdma_nvme_status_name(
								 (unsigned)status[i]),
							 ns.last_log);
					}
				}
			}
			busy += pdma__sc_now() - t0;
			if (failed) {
				/* The in-flight batch failed: drop the CMB, so
				 * the removal can finish, and go on in RAM. */
				if (!st.p2p) {
					ret = -EIO;
					goto out_end;
				}
				stage_release(&st);
				if (rm.started) {
					pthread_join(rm.thread, NULL);
					rm.started = false;
					rm.prov = NULL;
				}
				ret = stage_ram(e, &st, io * slots);
				if (ret)
					goto out_end;
				r->p2p = false;
				pdma__sc_why(r, false, "; after the failure: "
					     "staged through RAM");
				failed = false;
				goto retry;
			}
			r->bytes += (uint64_t)n * io;
			pdma__sc_progress(e, f, off + (uint64_t)n * io, total);
		}
		r->src_crc = crc;
		verify(fd, total, io, seed, r);
		pass++;
	} while (busy < f->duration);
	pdma__sc_end(e, r, busy);
	/* The NIC writes the buffer while the NVMe reads it (the NVMe's
	 * reads of its own CMB cross no link). */
	legs[0] = (struct pdma_flow){ e->nic, st.nic_dma, true, 0 };
	legs[1] = (struct pdma_flow){ e->nvme, st.dma, false, 0 };
	pdma__sc_model(e, r, legs, st.p2p ? 1 : 2);
	r->verified = r->corrupt_bytes == 0 && r->src_crc == r->dst_crc;
	ret = 0;
	goto out_stage;
out_end:
	pdma__sc_end(e, r, busy);
out_stage:
	stage_release(&st);
	if (rm.started)
		pthread_join(rm.thread, NULL);
out_fd:
	pdma_rnic_dereg(src_mr);
	free(pages);
	if (fd >= 0)
		close(fd);
out:
	return ret;
}
