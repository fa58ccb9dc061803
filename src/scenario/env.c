// SPDX-License-Identifier: MIT
/*
 * What a scenario run builds: the local host (fabric, platform, DMA layer,
 * NVMe controller with its CMB, GPU, NIC), the remote host (a second
 * platform on the same fabric, its NIC joined by a wire), namespaces as
 * temporary files, and a host-side NVMe queue driver.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scenario_internal.h"

#define SC_RAM		(256ull << 20)
#define SC_GPU_RAM_OFF	(128ull << 20)	/* the GPU evicts into the top half */

static int load_fabric(const struct sc_env *e, struct pdma_fabric **out,
		       struct pdma_error *err)
{
	enum pdma_scenario_fabric kind = e->sc->fabric_kind;
	const char *src = e->sc->fabric;

	if (e->opts && e->opts->override) {
		kind = e->opts->override_kind;
		src = e->opts->override;
	}
	switch (kind) {
	case PDMA_SCENARIO_TOPO:
		return pdma_load_json(src, out, err);
	case PDMA_SCENARIO_SYSFS:
		return pdma_load_sysfs(src, out, err);
	default:
		return pdma_load_preset(src, out, err);
	}
}

static int host_setup(struct sc_env *e, struct sc_host *h,
		      struct pdma_error *err)
{
	struct pdma_platform_opts po;
	int ret;

	ret = load_fabric(e, &h->fab, err);
	if (ret)
		return ret;
	pdma_platform_opts_init(&po);
	po.ram_bytes = SC_RAM;
	ret = pdma_platform_create(h->fab, &po, &h->plat, err);
	if (ret)
		return ret;
	ret = pdma_dma_create(h->plat, &h->dma);
	if (ret) {
		pdma__err(err, "%s: cannot create the DMA layer", e->sc->name);
		return ret;
	}
	pdma_platform_ram(h->plat, &h->ram_phys, &h->ram_size,
			  (void **)&h->ram, NULL);
	h->bump_limit = SC_GPU_RAM_OFF;
	return 0;
}

static void host_teardown(struct sc_host *h)
{
	for (int i = 0; i < h->nr_maps; i++)
		pdma_dma_unmap(h->dma, h->maps[i]);
	pdma_dma_destroy(h->dma);
	pdma_platform_destroy(h->plat);
	pdma_fabric_destroy(h->fab);
}

void *pdma__sc_alloc(struct sc_host *h, uint64_t len, uint64_t *phys)
{
	uint64_t off = h->bump;

	len = (len + 4095) & ~4095ull;
	if (off + len > h->bump_limit)
		return NULL;
	h->bump += len;
	*phys = h->ram_phys + off;
	memset(h->ram + off, 0, len);
	return h->ram + off;
}

int pdma__sc_map(struct sc_host *h, int dev, uint64_t phys, uint64_t len,
		 uint64_t *dma)
{
	struct pdma_phys_range r = { phys, len };
	struct pdma_sgt *sgt;
	int ret;

	if (h->nr_maps == SC_MAX_MAPS)
		return -ENOMEM;
	ret = pdma_dma_map(h->dma, dev, &r, 1, PDMA_BIDIRECTIONAL, &sgt);
	if (ret)
		return ret;
	if (sgt->nents != 1) {
		pdma_dma_unmap(h->dma, sgt);
		return -EINVAL;
	}
	h->maps[h->nr_maps++] = sgt;
	*dma = sgt->sgl[0].dma_addr;
	return 0;
}

/* Verdict score of a pair: lower is better. */
static long score(struct pdma_fabric *fab, int prov, int client)
{
	int dist = 0;
	enum pdma_map_type t = pdma_verdict_map_type(fab, prov, client, &dist);

	if (t == PDMA_MAP_BUS_ADDR)
		return dist;
	if (t == PDMA_MAP_THRU_HOST_BRIDGE)
		return 1000 + dist;
	return 100000;
}

/* The largest memory BAR of @fi, -1 if none of at least @min bytes. */
static int big_bar(const struct pdma_func_info *fi, uint64_t min)
{
	int best = -1;

	for (int b = 0; b < 6; b++)
		if ((fi->bars[b].flags & PDMA_BAR_MEM) &&
		    fi->bars[b].size >= min &&
		    (best < 0 || fi->bars[b].size > fi->bars[best].size))
			best = b;
	return best;
}

static int pick(struct pdma_fabric *fab, const char *name,
		enum pdma_role role, const char *what, int *out,
		struct pdma_error *err)
{
	*out = PDMA_NONE;
	if (name[0]) {
		*out = pdma_fabric_lookup(fab, name);
		if (*out < 0) {
			pdma__err(err, "devices.%s: no function \"%.63s\" in "
				  "this fabric ('peerdma topo' lists them)",
				  what, name);
			return -EINVAL;
		}
		return 0;
	}
	(void)role;
	return 0;
}

/*
 * The accelerator: an accelerator function, or else the emulated engine
 * sits on another endpoint the run does not use, the closest (by verdict)
 * to the NVMe whose CMB stages the packets.
 */
static void choose_accel(struct sc_env *e, bool want)
{
	struct pdma_fabric *fab = e->local.fab;
	int n = pdma_fabric_nr_funcs(fab);
	long best = -1;

	for (int pass = 0; pass < 2 && want && e->accel < 0 && best < 0;
	     pass++)
		for (int a = 0; a < n; a++) {
			const struct pdma_func_info *fa = pdma_fabric_func(fab,
									   a);
			long s;

			if (pdma_fabric_is_bridge(fa) || a == e->nic ||
			    a == e->nvme || a == e->gpu)
				continue;
			if (pass == 0 ? fa->role != PDMA_ROLE_ACCEL :
			    fa->role == PDMA_ROLE_HOST_BRIDGE ||
			    fa->role == PDMA_ROLE_ISA_BRIDGE ||
			    fa->role == PDMA_ROLE_SERIAL_BUS ||
			    fa->role == PDMA_ROLE_OTHER)
				continue;
			s = e->nvme >= 0 ? score(fab, e->nvme, a) : 0;
			if (best < 0 || s < best) {
				best = s;
				e->accel = a;
			}
		}
}

/* Choose the NIC, NVMe and GPU the scenario did not name. */
static int choose(struct sc_env *e, struct pdma_error *err)
{
	struct pdma_fabric *fab = e->local.fab;
	int n = pdma_fabric_nr_funcs(fab), ret;
	int named_nvme, named_nic;
	long best = -1;
	bool want_nvme = false, want_gpu = false, want_accel = false;

	for (int i = 0; i < e->sc->nr_flows; i++) {
		enum pdma_flow_kind k = e->sc->flows[i].kind;

		want_nvme |= k != PDMA_FLOW_GPU_TO_NIC;
		want_gpu |= k == PDMA_FLOW_NVME_TO_GPU ||
			    k == PDMA_FLOW_GPU_TO_NIC;
		want_accel |= k == PDMA_FLOW_NIC_TO_ACCEL;
	}
	if ((ret = pick(fab, e->sc->nic, PDMA_ROLE_NIC, "nic", &e->nic, err)) ||
	    (ret = pick(fab, e->sc->nvme, PDMA_ROLE_NVME, "nvme", &e->nvme,
			err)) ||
	    (ret = pick(fab, e->sc->gpu, PDMA_ROLE_GPU, "gpu", &e->gpu, err)) ||
	    (ret = pick(fab, e->sc->accel, PDMA_ROLE_ACCEL, "accel", &e->accel,
			err)))
		return ret;
	/* NVMe and NIC: a CMB first, then the best verdict between them. */
	named_nvme = e->nvme;
	named_nic = e->nic;
	for (int v = 0; v < n && want_nvme; v++) {
		const struct pdma_func_info *fv = pdma_fabric_func(fab, v);

		if (named_nvme >= 0 && v != named_nvme)
			continue;
		if (named_nvme < 0 && fv->role != PDMA_ROLE_NVME)
			continue;
		for (int c = 0; c < n; c++) {
			const struct pdma_func_info *fc = pdma_fabric_func(fab,
									   c);
			long s;

			if (named_nic >= 0 ? c != named_nic :
			    fc->role != PDMA_ROLE_NIC)
				continue;
			s = score(fab, v, c) + (fv->p2pmem.present ? 0 : 1000000);
			if (best < 0 || s < best) {
				best = s;
				e->nvme = v;
				e->nic = c;
			}
		}
	}
	for (int c = 0; c < n && e->nic < 0; c++)
		if (pdma_fabric_func(fab, c)->role == PDMA_ROLE_NIC)
			e->nic = c;
	/* A GPU; without one, a memory device or accelerator plays it. */
	best = -1;
	for (int pass = 0; pass < 2 && want_gpu && best < 0 && e->gpu < 0;
	     pass++) {
		for (int g = 0; g < n; g++) {
			const struct pdma_func_info *fg = pdma_fabric_func(fab,
									   g);
			long s = 0;

			if ((pass == 0 ? fg->role != PDMA_ROLE_GPU :
			     fg->role != PDMA_ROLE_MEMORY &&
			     fg->role != PDMA_ROLE_ACCEL) ||
			    big_bar(fg, 8u << 20) < 0)
				continue;
			if (e->nic >= 0)
				s += score(fab, g, e->nic);
			if (e->nvme >= 0)
				s += score(fab, g, e->nvme);
			if (best < 0 || s < best) {
				best = s;
				e->gpu = g;
			}
		}
	}
	choose_accel(e, want_accel);
	if (e->nic < 0) {
		pdma__err(err, "%s: this fabric has no NIC for the remote host "
			  "to reach (name one in devices.nic)", e->sc->name);
		return -EINVAL;
	}
	if (want_nvme && e->nvme < 0) {
		pdma__err(err, "%s: this fabric has no NVMe controller (name one "
			  "in devices.nvme)", e->sc->name);
		return -EINVAL;
	}
	if (want_accel && e->accel < 0) {
		pdma__err(err, "%s: this fabric has no function free for the "
			  "accelerator (name one in devices.accel)",
			  e->sc->name);
		return -EINVAL;
	}
	if (want_gpu && (e->gpu < 0 ||
			 big_bar(pdma_fabric_func(fab, e->gpu), 8u << 20) < 0)) {
		pdma__err(err, "%s: this fabric has no GPU (or memory device) "
			  "with a memory BAR of 8 MiB or more (name one in "
			  "devices.gpu)",
			  e->sc->name);
		return -EINVAL;
	}
	return 0;
}

static int devices(struct sc_env *e, struct pdma_error *err)
{
	struct pdma_fabric *fab = e->local.fab;
	int ret;

	e->cmb_bar = -1;
	if (e->nvme >= 0) {
		const struct pdma_func_info *fi = pdma_fabric_func(fab, e->nvme);
		struct pdma_nvme_opts o;

		pdma_nvme_opts_init(&o);
		if (fi->p2pmem.present)
			e->cmb_bar = big_bar(fi, 4u << 20);
		o.cmb_bar = e->cmb_bar;
		ret = pdma_nvme_create(e->local.plat, e->local.dma, e->nvme, &o,
				       &e->ctrl, err);
		if (ret)
			return ret;
	}
	if (e->gpu >= 0) {
		struct pdma_gpu_opts go = { 0 };

		go.func = e->gpu;
		go.bar = big_bar(pdma_fabric_func(fab, e->gpu), 8u << 20);
		go.ram_off = SC_GPU_RAM_OFF;
		go.ram_len = SC_RAM - SC_GPU_RAM_OFF;
		ret = pdma_gpu_create(e->local.plat, e->local.dma, &go,
				      &e->gpu_dev);
		if (ret) {
			pdma__err(err, "%s: cannot create the GPU on %s (%s)",
				  e->sc->name, pdma_fabric_func(fab, e->gpu)->label,
				  strerror(-ret));
			return ret;
		}
	}
	if (e->accel >= 0) {
		ret = pdma_accel_create(e->local.plat, e->local.dma, e->accel,
					&e->accel_dev, err);
		if (ret)
			return ret;
	}
	ret = pdma_wire_create(e->sc->wire_gbps, &e->wire);
	if (!ret)
		ret = pdma_rnic_create(e->local.plat, e->local.dma, e->nic,
				       &e->lnic);
	if (!ret)
		ret = pdma_rnic_create(e->remote.plat, e->remote.dma, e->nic,
				       &e->rnic);
	if (!ret)
		ret = pdma_rnic_connect(e->rnic, e->lnic, e->wire);
	if (ret)
		pdma__err(err, "%s: cannot set up the NICs (%s)", e->sc->name,
			  strerror(-ret));
	return ret;
}

int pdma__sc_env_setup(struct sc_env *e, const struct pdma_scenario *sc,
		       const struct pdma_scenario_opts *opts,
		       struct pdma_error *err)
{
	int ret;

	memset(e, 0, sizeof(*e));
	e->sc = sc;
	e->opts = opts;
	e->nic = e->nvme = e->gpu = e->accel = PDMA_NONE;
	ret = host_setup(e, &e->local, err);
	if (!ret)
		ret = host_setup(e, &e->remote, err);
	if (!ret)
		ret = choose(e, err);
	if (!ret)
		ret = devices(e, err);
	if (!ret) {
		e->link_before = calloc(2 * (size_t)pdma_fabric_nr_funcs(
						e->local.fab), sizeof(uint64_t));
		if (!e->link_before)
			ret = -ENOMEM;
	}
	if (ret)
		pdma__sc_env_teardown(e);
	return ret;
}

void pdma__sc_env_teardown(struct sc_env *e)
{
	pdma_rnic_destroy(e->lnic);
	pdma_rnic_destroy(e->rnic);
	pdma_wire_destroy(e->wire);
	pdma_gpu_destroy(e->gpu_dev);
	pdma_accel_destroy(e->accel_dev);
	pdma_nvme_destroy(e->ctrl);
	if (e->remote.fab)
		host_teardown(&e->remote);
	if (e->local.fab)
		host_teardown(&e->local);
	for (int i = 0; i < e->nr_files; i++)
		unlink(e->files[i]);
	free(e->link_before);
	memset(e, 0, sizeof(*e));
}

int pdma__sc_namespace(struct sc_env *e, uint64_t bytes, uint32_t *nsid,
		       int *fd, struct pdma_error *err)
{
	const char *tmp = getenv("TMPDIR");
	char *path;
	int ret;

	if (e->nr_files == SC_MAX_FILES)
		return -ENOSPC;
	path = e->files[e->nr_files];
	snprintf(path, 64, "%.40s/pdma-ns-XXXXXX", tmp && tmp[0] &&
		 strlen(tmp) < 40 ? tmp : "/tmp");
	*fd = mkstemp(path);
	if (*fd < 0) {
		ret = -errno;
		pdma__err(err, "%s: %s", path, strerror(errno));
		return ret;
	}
	e->nr_files++;
	if (ftruncate(*fd, (off_t)bytes)) {
		ret = -errno;
		pdma__err(err, "%s: %s", path, strerror(errno));
		close(*fd);
		return ret;
	}
	ret = pdma_nvme_add_namespace(e->ctrl, path, 4096, nsid, err);
	if (ret)
		close(*fd);
	return ret;
}

int pdma__sc_queue(struct sc_env *e, struct sc_queue *q, uint16_t qid,
		   uint32_t entries)
{
	uint64_t phys, sq, cq;
	int ret;

	memset(q, 0, sizeof(*q));
	q->ctrl = e->ctrl;
	q->qid = qid;
	q->entries = entries;
	q->phase = true;
	q->sq = pdma__sc_alloc(&e->local, entries * 64ull, &phys);
	if (!q->sq)
		return -ENOMEM;
	if ((ret = pdma__sc_map(&e->local, e->nvme, phys, entries * 64ull,
				&sq)))
		return ret;
	q->cq = pdma__sc_alloc(&e->local, entries * 16ull, &phys);
	if (!q->cq)
		return -ENOMEM;
	if ((ret = pdma__sc_map(&e->local, e->nvme, phys, entries * 16ull,
				&cq)))
		return ret;
	q->lists = pdma__sc_alloc(&e->local, entries * 4096ull, &phys);
	if (!q->lists)
		return -ENOMEM;
	if ((ret = pdma__sc_map(&e->local, e->nvme, phys, entries * 4096ull,
				&q->lists_dma)))
		return ret;
	return pdma_nvme_create_queue(e->ctrl, qid, sq, cq, entries);
}

/*
 * Submit @n READ or WRITE commands (command i: @npages[i] pages at the DMA
 * addresses @pages[i], to or from LBA @slba[i]), ring once, and reap every
 * completion into @status[i] (the status code, or -1: no completion).
 * Return: 0, or the doorbell's error.
 */
int pdma__sc_nvme_batch(struct sc_queue *q, uint8_t op, uint32_t nsid,
			const uint64_t *slba, const uint64_t *const *pages,
			const uint32_t *npages, int n, int *status)
{
	int ret;

	if ((uint32_t)n >= q->entries)
		return -EINVAL;
	for (int i = 0; i < n; i++) {
		uint32_t slot = q->sq_tail;
		struct pdma_nvme_cmd *c = &q->sq[slot];
		uint64_t *list = q->lists + slot * 512ull;

		memset(c, 0, sizeof(*c));
		c->opcode = op;
		c->cid = (uint16_t)i;
		c->nsid = nsid;
		c->prp1 = pages[i][0];
		if (npages[i] == 2) {
			c->prp2 = pages[i][1];
		} else if (npages[i] > 2) {
			memcpy(list, &pages[i][1], (npages[i] - 1) * 8ull);
			c->prp2 = q->lists_dma + slot * 4096ull;
		}
		c->cdw10 = (uint32_t)slba[i];
		c->cdw11 = (uint32_t)(slba[i] >> 32);
		c->cdw12 = npages[i] - 1;	/* 4 KiB LBAs */
		status[i] = -1;
		q->sq_tail = (q->sq_tail + 1) % q->entries;
	}
	ret = pdma_nvme_ring_sq(q->ctrl, q->qid, q->sq_tail);
	if (ret)
		return ret;
	for (int i = 0; i < n; i++) {
		struct pdma_nvme_cqe *c = &q->cq[q->cq_head];

		if (PDMA_NVME_CQE_PHASE(c->status) != q->phase)
			break;
		if (c->cid < n)
			status[c->cid] = (int)PDMA_NVME_CQE_SC(c->status);
		if (++q->cq_head == q->entries) {
			q->cq_head = 0;
			q->phase = !q->phase;
		}
	}
	return pdma_nvme_ring_cq(q->ctrl, q->qid, q->cq_head);
}

/* Test data: a function of the absolute offset and the seed. */
void pdma__sc_pattern(void *p, uint64_t len, uint64_t off, uint32_t seed)
{
	uint64_t *w = p;

	for (uint64_t i = 0; i < len / 8; i++) {
		uint64_t x = (off / 8 + i) * 0x9e3779b97f4a7c15ull + seed;

		x ^= x >> 29;
		x *= 0xbf58476d1ce4e5b9ull;
		w[i] = x ^ (x >> 32);
	}
}
