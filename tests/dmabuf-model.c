/* SPDX-License-Identifier: MIT */
/*
 * A randomized model test of the dma-buf layer and the reference
 * exporter.  Two exporting GPUs (small VRAM, so buffers get evicted) share
 * buffers with importers that reach them BUS_ADDR (NIC), through the host
 * bridge (NVMe, accel without IOMMU) or not at all (the Intel machine,
 * an importer that refuses peer memory, a static importer).
 *
 * Importers behave as the kernel's do: implicit sync through the resv
 * (a write waits for READ usage, a read for WRITE usage), every DMA is a
 * job fenced in the resv and executed later (when a step completes it, or
 * when someone waits for its fence: the "hardware" finishes when waited
 * for); move_notify marks mappings stale, and a stale mapping is dropped
 * only after its jobs are done.  The CPU writes and reads through
 * begin/end_cpu_access and vmap.
 *
 * Invariants, checked at every DMA and CPU access: every byte read is the
 * latest data committed before the access was submitted; no DMA fails
 * (the BAR guard refuses DMA into memory moved away or freed, and freed
 * memory is poisoned); no platform fault is recorded.
 *
 * Usage: dmabuf-model [steps] [seed]   (PDMA_MODEL_STEPS / _SEED too)
 */
#include <time.h>

#include "dmabuf-env.h"

#define NBUF 10
#define NIMP 5
#define MAXLEN 4096

struct model;

struct mapping {
	struct pdma_sgt *sgt;
	bool stale;
	int jobs;	/* pending jobs using sgt */
	struct model *m;
	struct importer *imp;
	int b;
};

struct importer {
	const char *name;
	int dev;
	bool dynamic, p2p;
	struct pdma_dmabuf_attachment *att[NBUF];
	struct mapping map[NBUF];
	bool pinned[NBUF];
};

struct job {
	struct pdma_fence base;
	struct pdma_fence_lock lock;
	struct model *m;
	struct importer *imp;
	int b;
	struct pdma_sgt *sgt;
	bool write, done;
	uint64_t off, len;
	unsigned char data[MAXLEN];	/* written, or expected */
	struct job *next;		/* pending list */
};

struct model {
	struct denv e;
	struct pdma_dmabuf *buf[NBUF];
	uint64_t size[NBUF];
	unsigned char *shadow[NBUF];
	struct importer imp[NIMP];
	struct job *pending;
	unsigned rng;
	/* counters */
	long violations, dma_reads, dma_writes, cpu_ops, moves, evictions,
	     busy, busy_move, nospc, jobs_run_by_wait, remaps;
};

static unsigned rnd(struct model *m, unsigned n)
{
	m->rng = m->rng * 1103515245u + 12345u;
	return (m->rng >> 8) % n;
}

static void violation(struct model *m, const char *what, int b, long v)
{
	if (m->violations++ < 10)
		fprintf(stderr, "VIOLATION: %s (buffer %d, %ld)\n", what, b, v);
}

/* --- jobs ---------------------------------------------------------------- */

static void job_run(struct job *j)
{
	struct model *m = j->m;
	unsigned char got[MAXLEN];
	int ret;

	if (j->done)
		return;
	j->done = true;
	if (j->write) {
		ret = denv_dma(&m->e, j->imp->dev, j->sgt, j->off, j->data,
			       j->len, PDMA_DMA_WRITE);
		m->dma_writes++;
	} else {
		ret = denv_dma(&m->e, j->imp->dev, j->sgt, j->off, got, j->len,
			       PDMA_DMA_READ);
		m->dma_reads++;
		if (!ret && memcmp(got, j->data, j->len))
			violation(m, "DMA read stale or foreign data", j->b,
				  (long)j->off);
	}
	if (ret)
		violation(m, "DMA failed", j->b, ret);
	j->imp->map[j->b].jobs--;
	for (struct job **p = &m->pending; *p; p = &(*p)->next)
		if (*p == j) {
			*p = j->next;
			break;
		}
	pdma_fence_signal(&j->base);
	pdma_fence_put(&j->base);	/* the pending list's reference */
}

static const char *job_name(struct pdma_fence *f)
{
	(void)f;
	return "model";
}

static int64_t job_wait(struct pdma_fence *f, bool intr, int64_t timeout)
{
	struct job *j = (struct job *)f;

	(void)intr;
	if (!j->done) {
		j->m->jobs_run_by_wait++;
		job_run(j);
	}
	return timeout > 0 ? timeout : 1;
}

static void job_release(struct pdma_fence *f)
{
	struct job *j = (struct job *)f;

	pdma_fence_lock_destroy(&j->lock);
	free(j);
}

static const struct pdma_fence_ops job_ops = {
	.get_driver_name = job_name,
	.get_timeline_name = job_name,
	.wait = job_wait,
	.release = job_release,
};

/* Finish every job that uses importer @imp's mapping of @b. */
static void flush_mapping(struct model *m, struct importer *imp, int b)
{
	struct job *j = m->pending;

	while (j) {
		struct job *next = j->next;

		if (j->imp == imp && j->b == b) {
			job_run(j);
			next = m->pending;	/* list changed */
		}
		j = next;
	}
}

/* --- importers ------------------------------------------------------------ */

static void add_job(struct model *m, struct importer *imp, int b, bool write,
		    enum pdma_resv_usage u);

/*
 * Lock held.  The mapping goes stale; half of the time a read that the
 * "hardware" cannot stop at once is still in flight on the (until now
 * current) mapping:
 * it is fenced (BOOKKEEP), and the exporter must wait for it before it
 * frees the old memory.
 */
static void on_move(struct pdma_dmabuf_attachment *a)
{
	struct mapping *mp = a->importer_priv;

	if (mp->sgt && !mp->stale && rnd(mp->m, 2))
		add_job(mp->m, mp->imp, mp->b, false,
			PDMA_RESV_USAGE_BOOKKEEP);
	mp->stale = true;
}

static const struct pdma_dmabuf_importer_ops p2p_ops = { true, on_move };
static const struct pdma_dmabuf_importer_ops nop2p_ops = { false, on_move };

static void unmap_one(struct model *m, struct importer *imp, int b)
{
	struct mapping *mp = &imp->map[b];

	if (!mp->sgt)
		return;
	flush_mapping(m, imp, b);
	pdma_dmabuf_unmap_attachment(imp->att[b], mp->sgt, PDMA_BIDIRECTIONAL);
	mp->sgt = NULL;
}

/* Lock held.  A current mapping, or an error (-EBUSY when pinned away). */
static int ensure_mapped(struct model *m, struct importer *imp, int b)
{
	struct mapping *mp = &imp->map[b];
	int ret;

	if (mp->sgt && !mp->stale)
		return 0;
	if (mp->sgt)
		m->remaps++;
	unmap_one(m, imp, b);
	mp->stale = false;
	ret = pdma_dmabuf_map_attachment(imp->att[b], PDMA_BIDIRECTIONAL,
					 &mp->sgt);
	if (ret) {
		mp->sgt = NULL;
		if (ret != -EBUSY)
			violation(m, "map failed", b, ret);
		m->busy++;
	}
	return ret;
}

/* A new job of @imp on @b through its current mapping, fenced with @u.
 * Lock held. */
static void add_job(struct model *m, struct importer *imp, int b, bool write,
		    enum pdma_resv_usage u)
{
	struct pdma_resv *resv = pdma_dmabuf_resv(m->buf[b]);
	struct job *j = calloc(1, sizeof(*j));

	REQUIRE(j);
	pdma_fence_lock_init(&j->lock);
	/* A context per job: jobs finish in any order, and two fences of
	 * one context would let the resv drop the earlier one. */
	REQUIRE(pdma_fence_init64(&j->base, &job_ops, &j->lock,
				  pdma_fence_context_alloc(1), 1) == 0);
	j->m = m;
	j->imp = imp;
	j->b = b;
	j->sgt = imp->map[b].sgt;
	j->write = write;
	j->len = 1 + rnd(m, MAXLEN);
	if (j->len > m->size[b])
		j->len = m->size[b];
	j->off = rnd(m, (unsigned)(m->size[b] - j->len + 1));
	if (write) {
		for (uint64_t i = 0; i < j->len; i++)
			j->data[i] = (unsigned char)rnd(m, 256);
		/* Committed now: later accesses wait for this fence. */
		memcpy(m->shadow[b] + j->off, j->data, j->len);
	} else {
		memcpy(j->data, m->shadow[b] + j->off, j->len);
	}
	REQUIRE(pdma_resv_reserve_fences_locked(resv, 1) == 0);
	pdma_resv_add_fence_locked(resv, &j->base, u);
	imp->map[b].jobs++;
	j->next = m->pending;
	m->pending = j;		/* keeps the initial reference */
}

static void submit(struct model *m, struct importer *imp, int b, bool write)
{
	struct pdma_resv *resv = pdma_dmabuf_resv(m->buf[b]);

	pdma_resv_lock(resv, NULL);
	if (ensure_mapped(m, imp, b))
		goto out;
	/* Implicit sync, as a dynamic importer's driver does it. */
	pdma_resv_wait_timeout(resv, pdma_resv_usage_rw(write), false,
			       PDMA_FENCE_TIMEOUT_MAX);
	if (imp->map[b].stale || !imp->map[b].sgt)
		goto out;	/* cannot happen: nobody moves while we hold it */
	add_job(m, imp, b, write,
		write ? PDMA_RESV_USAGE_WRITE : PDMA_RESV_USAGE_READ);
out:
	pdma_resv_unlock(resv);
}

static void cpu_access(struct model *m, int b, bool write)
{
	struct pdma_dmabuf *buf = m->buf[b];
	enum pdma_data_dir dir = write ? PDMA_TO_DEVICE : PDMA_FROM_DEVICE;
	uint64_t off, len;
	unsigned char *p;

	REQUIRE(pdma_dmabuf_begin_cpu_access(buf, dir) == 0);
	pdma_resv_lock(pdma_dmabuf_resv(buf), NULL);
	/* The wait above ran without the lock: a job submitted since could
	 * be pending.  The kernel's user space relies on not racing itself;
	 * here every pending job is of this thread, so wait once more. */
	pdma_resv_wait_timeout(pdma_dmabuf_resv(buf),
			       pdma_resv_usage_rw(write), false,
			       PDMA_FENCE_TIMEOUT_MAX);
	REQUIRE(pdma_dmabuf_vmap(buf, (void **)&p) == 0);
	len = 1 + rnd(m, MAXLEN);
	if (len > m->size[b])
		len = m->size[b];
	off = rnd(m, (unsigned)(m->size[b] - len + 1));
	if (write) {
		for (uint64_t i = 0; i < len; i++)
			p[off + i] = m->shadow[b][off + i] =
				(unsigned char)rnd(m, 256);
	} else if (memcmp(p + off, m->shadow[b] + off, len)) {
		violation(m, "CPU read stale data", b, (long)off);
	}
	pdma_dmabuf_vunmap(buf, p);
	pdma_resv_unlock(pdma_dmabuf_resv(buf));
	REQUIRE(pdma_dmabuf_end_cpu_access(buf, dir) == 0);
	m->cpu_ops++;
}

static void move(struct model *m, int b, enum pdma_dmabuf_placement to)
{
	int ret = pdma_dmabuf_exporter_move(m->buf[b], to);

	if (ret == -ENOSPC && to == PDMA_DMABUF_VRAM) {
		/* Evict another buffer of the same exporter and retry. */
		int first = b < NBUF / 2 ? 0 : NBUF / 2;

		for (int k = first; k < first + NBUF / 2; k++) {
			if (k == b)
				continue;
			if (pdma_dmabuf_exporter_move(m->buf[k],
						      PDMA_DMABUF_RAM) == 0)
				m->evictions++;
		}
		ret = pdma_dmabuf_exporter_move(m->buf[b], to);
	}
	if (ret == 0)
		m->moves++;
	else if (ret == -EBUSY)
		m->busy_move++;
	else if (ret == -ENOSPC)
		m->nospc++;
	else
		violation(m, "move failed", b, ret);
}

static void pin_toggle(struct model *m, struct importer *imp, int b)
{
	struct pdma_resv *resv = pdma_dmabuf_resv(m->buf[b]);
	int ret;

	pdma_resv_lock(resv, NULL);
	if (imp->pinned[b]) {
		pdma_dmabuf_unpin(imp->att[b]);
		imp->pinned[b] = false;
	} else if (!rnd(m, 3)) {
		ret = pdma_dmabuf_pin(imp->att[b]);
		if (ret == 0)
			imp->pinned[b] = true;
		else if (ret == -EBUSY)
			m->busy++;
		else
			violation(m, "pin failed", b, ret);
	}
	pdma_resv_unlock(resv);
}

/* --- the run -------------------------------------------------------------- */

static uint64_t page_up(uint64_t n)
{
	uint64_t page = pdma_page_size();

	return (n + page - 1) / page * page;
}

/* VRAM for the buffers from @first: 60% of their size, at least the
 * largest one. */
static uint64_t vram_for(struct model *m, int first)
{
	uint64_t sum = 0, max = 0;

	for (int b = first; b < first + NBUF / 2; b++) {
		sum += page_up(m->size[b]);
		if (page_up(m->size[b]) > max)
			max = page_up(m->size[b]);
	}
	sum = page_up(sum * 6 / 10);
	return sum > max ? sum : max;
}

static void setup(struct model *m, bool amd)
{
	struct pdma_dmabuf_exporter_opts o = { 0 };
	struct denv *e = &m->e;

	denv_setup(e, amd);
	/* Sizes first: each GPU's VRAM holds about 60% of its buffers,
	 * so moves to VRAM run out of room and evict. */
	for (int b = 0; b < NBUF; b++)
		m->size[b] = (1 + rnd(m, 8)) * 4096 - rnd(m, 2) * 100;
	pdma_dmabuf_exporter_destroy(e->x);
	pdma_dmabuf_exporter_destroy(e->x2);
	o.bar = 0;
	o.ram_len = 4 << 20;
	o.func = e->gpu;
	o.ram_off = 16 << 20;
	o.vram_len = vram_for(m, 0);
	REQUIRE(pdma_dmabuf_exporter_create(e->plat, e->d, &o, &e->x) == 0);
	o.func = e->gpu2;
	o.ram_off = 24 << 20;
	o.vram_len = vram_for(m, NBUF / 2);
	REQUIRE(pdma_dmabuf_exporter_create(e->plat, e->d, &o, &e->x2) == 0);

	m->imp[0] = (struct importer){ "nic", e->nic, true, true };
	m->imp[1] = (struct importer){ "nvme", e->nvme, true, true };
	m->imp[2] = (struct importer){ "accel", e->accel, true, true };
	m->imp[3] = (struct importer){ "nic-nop2p", e->nic, true, false };
	m->imp[4] = (struct importer){ "nvme-static", e->nvme, false, false };
	for (int b = 0; b < NBUF; b++) {
		struct pdma_dmabuf_exporter *x = b < NBUF / 2 ? e->x : e->x2;
		enum pdma_dmabuf_placement w = rnd(m, 2) ? PDMA_DMABUF_VRAM
							 : PDMA_DMABUF_RAM;

		if (pdma_dmabuf_exporter_alloc(x, m->size[b], w, &m->buf[b]))
			REQUIRE(pdma_dmabuf_exporter_alloc(x, m->size[b],
							   PDMA_DMABUF_RAM,
							   &m->buf[b]) == 0);
		/* The exporter rounds to pages; the tail is ours too. */
		m->size[b] = page_up(m->size[b]);
		m->shadow[b] = calloc(1, m->size[b]);
		REQUIRE(m->shadow[b]);
		for (int i = 0; i < NIMP; i++) {
			struct importer *imp = &m->imp[i];

			imp->map[b].m = m;
			imp->map[b].imp = imp;
			imp->map[b].b = b;

			if (imp->dynamic)
				REQUIRE(pdma_dmabuf_dynamic_attach(
						m->buf[b], imp->dev,
						imp->p2p ? &p2p_ops : &nop2p_ops,
						&imp->map[b], &imp->att[b]) == 0);
			else
				REQUIRE(pdma_dmabuf_attach(m->buf[b], imp->dev,
							   &imp->att[b]) == 0);
		}
	}
}

static void teardown(struct model *m)
{
	while (m->pending)
		job_run(m->pending);
	for (int b = 0; b < NBUF; b++) {
		struct pdma_resv *resv = pdma_dmabuf_resv(m->buf[b]);

		pdma_resv_lock(resv, NULL);
		for (int i = 0; i < NIMP; i++) {
			unmap_one(m, &m->imp[i], b);
			if (m->imp[i].pinned[b])
				pdma_dmabuf_unpin(m->imp[i].att[b]);
		}
		pdma_resv_unlock(resv);
		for (int i = 0; i < NIMP; i++)
			pdma_dmabuf_detach(m->buf[b], m->imp[i].att[b]);
		pdma_dmabuf_put(m->buf[b]);
		free(m->shadow[b]);
	}
	if (pdma_platform_fault_count(m->e.plat)) {
		struct pdma_fault f;

		pdma_platform_fault_get(m->e.plat, 0, &f);
		violation(m, f.text, -1,
			  (long)pdma_platform_fault_count(m->e.plat));
	}
	denv_teardown(&m->e);
}

static void step(struct model *m)
{
	int b = rnd(m, NBUF), r = rnd(m, 100);
	struct importer *imp = &m->imp[rnd(m, NIMP)];
	struct importer *st = &m->imp[NIMP - 1];
	int sb = rnd(m, NBUF);
	struct importer *pi = &m->imp[rnd(m, NIMP)];

	/* A static importer maps for as long as it uses the buffer. */
	if (st->map[sb].sgt && !st->map[sb].jobs) {
		pdma_resv_lock(pdma_dmabuf_resv(m->buf[sb]), NULL);
		unmap_one(m, st, sb);
		pdma_resv_unlock(pdma_dmabuf_resv(m->buf[sb]));
	}
	/* Pins are for a while (scanout, RDMA without ODP), not for ever. */
	if (pi->pinned[sb]) {
		pdma_resv_lock(pdma_dmabuf_resv(m->buf[sb]), NULL);
		pdma_dmabuf_unpin(pi->att[sb]);
		pi->pinned[sb] = false;
		pdma_resv_unlock(pdma_dmabuf_resv(m->buf[sb]));
	}
	if (r < 30) {
		submit(m, imp, b, true);
	} else if (r < 55) {
		submit(m, imp, b, false);
	} else if (r < 65) {
		cpu_access(m, b, rnd(m, 2));
	} else if (r < 78) {
		struct job *j = m->pending;

		if (!j)
			return;
		job_run(j);
	} else if (r < 85) {
		pdma_resv_lock(pdma_dmabuf_resv(m->buf[b]), NULL);
		unmap_one(m, imp, b);
		pdma_resv_unlock(pdma_dmabuf_resv(m->buf[b]));
	} else if (r < 97) {
		move(m, b, rnd(m, 2) ? PDMA_DMABUF_VRAM : PDMA_DMABUF_RAM);
	} else if (imp->dynamic) {
		pin_toggle(m, imp, b);
	}
}

static long total_evictions;

static long run(bool amd, long steps, unsigned seed)
{
	struct model *m = calloc(1, sizeof(*m));
	long v;

	REQUIRE(m);
	m->rng = seed;
	setup(m, amd);
	for (long s = 0; s < steps; s++)
		step(m);
	printf("%s: %ld steps, %ld DMA reads, %ld DMA writes, %ld CPU "
	       "accesses, %ld moves, %ld evictions, %ld remaps after "
	       "move_notify, %ld maps/pins -EBUSY, %ld moves -EBUSY (pinned), "
	       "%ld moves -ENOSPC, %ld jobs finished by a fence wait\n",
	       amd ? "AMD (P2P via host bridge)" : "Intel (no P2P across root "
	       "ports)", steps, m->dma_reads, m->dma_writes, m->cpu_ops,
	       m->moves, m->evictions, m->remaps, m->busy,
	       m->busy_move, m->nospc, m->jobs_run_by_wait);
	CHECK(m->dma_reads > 0 && m->dma_writes > 0 && m->moves > 0);
	CHECK(m->remaps > 0);
	total_evictions += m->evictions;
	teardown(m);
	v = m->violations;
	free(m);
	return v;
}

int main(int argc, char **argv)
{
	const char *es = getenv("PDMA_MODEL_STEPS"), *ed = getenv("PDMA_MODEL_SEED");
	long steps = argc > 1 ? atol(argv[1]) : es ? atol(es) : 500000;
	unsigned seed = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 0)
			: ed ? (unsigned)strtoul(ed, NULL, 0)
			     : (unsigned)time(NULL);
	long v;

	printf("dmabuf-model: seed %u (rerun: dmabuf-model %ld %u)\n", seed,
	       steps, seed);
	v = run(true, steps / 2, seed);
	v += run(false, steps - steps / 2, seed ^ 0x9e3779b9u);
	printf("violations: %ld\n", v);
	/* The steps must have exercised eviction at least somewhere. */
	CHECK(total_evictions > 0);
	CHECK_EQ_INT(v, 0);
	return harness_exit();
}
