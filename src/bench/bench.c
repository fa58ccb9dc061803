// SPDX-License-Identifier: MIT
/*
 * bench: the public face (include/peerdma/bench.h): which benchmarks there
 * are, how long each runs in full and quick mode, and their rows.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <peerdma/scenario.h>

#include "bench/bench_internal.h"

/* Rows being filled: at most @max, @n so far. */
struct rows {
	struct pdma_bench_row *r;
	int n, max;
};

static struct pdma_bench_row *row(struct rows *rs, const char *name,
				  const char *ours, const char *base,
				  const char *unit, double ov, double bv,
				  bool higher, double goal)
{
	struct pdma_bench_row *r;

	if (rs->n >= rs->max)
		return NULL;
	r = &rs->r[rs->n++];
	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", name);
	snprintf(r->ours, sizeof(r->ours), "%s", ours);
	snprintf(r->baseline, sizeof(r->baseline), "%s", base);
	snprintf(r->unit, sizeof(r->unit), "%s", unit);
	r->ours_value = ov;
	r->baseline_value = bv;
	r->higher_is_better = higher;
	r->goal = goal;
	if (higher)
		r->ratio = bv > 0 ? ov / bv : 0;
	else
		r->ratio = ov > 0 ? bv / ov : 0;
	return r;
}

static void detail(struct pdma_bench_row *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void detail(struct pdma_bench_row *r, const char *fmt, ...)
{
	va_list ap;

	if (!r)
		return;
	va_start(ap, fmt);
	vsnprintf(r->detail, sizeof(r->detail), fmt, ap);
	va_end(ap);
}

static int run_verdict(const struct pdma_bench_opts *o, struct rows *rs,
		       struct pdma_error *err)
{
	struct pdma__bench_verdict v = {
		.seed = o->seed,
		.endpoints = o->quick ? 512 : 4096,
		.kernel_budget_s = o->quick ? 0.3 : 6.0,
		.kernel_runs = o->quick ? 1 : 3,
		.ours_runs = o->quick ? 3 : 7,
	};
	struct pdma_bench_row *r;
	int ret = pdma__bench_verdict(&v, err);

	if (ret)
		return ret;
	r = row(rs, "verdict", "one pass over the tree per provider",
		"the kernel's calc_map_type_and_dist() per pair", "Mpairs/s",
		v.pairs / v.ours_s / 1e6, v.pairs / v.kernel_s / 1e6, true, 5);
	if (v.bad) {
		detail(r, "%ld of %.0f pairs DIFFER", v.bad, v.pairs);
		pdma__err(err, "bench verdict: %ld of %.0f pairs differ from the kernel's way, first %s",
			  v.bad, v.pairs, v.mismatch);
		return -EIO;
	}
	detail(r, "%d endpoints, %d of them as providers: all %.0f pairs agree",
	       v.nr_eps, v.nr_prov, v.pairs);
	return 0;
}

static int run_copy(const struct pdma_bench_opts *o, struct rows *rs,
		    struct pdma_error *err)
{
	size_t len = o->quick ? 1 << 20 : 16 << 20;
	struct pdma__bench_copy_res res;
	struct pdma__bench_copy *b;
	struct pdma_bench_row *r;
	int ret;

	ret = pdma__bench_copy_create(len, &b, err);
	if (ret)
		return ret;
	ret = pdma__bench_copy_size(b, len, o->quick ? 32 << 20 : 256 << 20,
				    o->quick ? 3 : 7, &res);
	if (!ret)
		ret = pdma__bench_copy_check(b, len);
	pdma__bench_copy_destroy(b);
	if (ret) {
		pdma__err(err, "bench copy: a copy through the fabric failed or the bytes differ");
		return -EIO;
	}
	r = row(rs, "copy/emulation",
		"pdma_fabric_copy CMB -> GPU BAR", "memcpy, same memory",
		"GB/s", res.p2p_gbs, res.memcpy_gbs, true, 0.9);
	detail(r, "%zu MiB copies; heap memcpy %.2f GB/s", len >> 20,
	       res.heap_gbs);
	r = row(rs, "copy/p2p-vs-bounce",
		"pdma_fabric_copy CMB -> GPU BAR", "bounce CMB -> RAM -> GPU",
		"GB/s", res.p2p_gbs, res.bounce_gbs, true, 1.8);
	detail(r, "%zu MiB copies through one switch", len >> 20);
	return 0;
}

static int run_iova(const struct pdma_bench_opts *o, struct rows *rs,
		    struct pdma_error *err)
{
	long div = o->quick ? 20 : 1;

	for (int t = 1; t <= 2; t++) {
		struct pdma__bench_iova_res res;
		struct pdma_bench_row *r;
		int ret = pdma__bench_iova(t, 20000 * 32 / div,
					   100000 * 32 / div,
					   o->quick ? 3 : 7, &res);

		if (ret) {
			pdma__err(err, "bench iova: an allocation failed (%s)",
				  strerror(-ret));
			return ret;
		}
		r = row(rs, t == 1 ? "iova/1-thread" : "iova/2-threads",
			"IOVA magazines (alloc_fast/free_fast)",
			"the IOVA tree alone", "Mpairs/s", res.cache / 1e6,
			res.tree / 1e6, true, 5);
		detail(r, "4096 live ranges, 32 in flight; cache hits %.2f%%",
		       res.hit_pct);
	}
	return 0;
}

static int run_p2pmem(const struct pdma_bench_opts *o, struct rows *rs,
		      struct pdma_error *err)
{
	struct pdma__bench_p2pmem_res res;
	struct pdma_bench_row *r;
	int ret = pdma__bench_p2pmem(o->quick ? 20000 : 200000,
				     o->quick ? 3 : 5, &res);

	if (ret) {
		pdma__err(err, "bench p2pmem: an allocation failed (%s)",
			  strerror(-ret));
		return ret;
	}
	r = row(rs, "p2pmem/alloc", "p2pmem extents", "first-fit page bitmap",
		"Mpairs/s", res.ours / 1e6, res.bitmap / 1e6, true, 0);
	detail(r, "1 GiB pool 3/4 full; %ld of %ld placements differ",
	       res.differ, res.placed);
	row(rs, "p2pmem/vs-malloc", "p2pmem extents", "glibc malloc/free",
	    "Mpairs/s", res.ours / 1e6, res.malloc_ / 1e6, true, 0);
	r = row(rs, "p2pmem/metadata", "p2pmem, fragmented pool",
		"kernel: genalloc bitmap + struct pages", "KiB",
		res.meta_frag / 1024.0,
		(res.bitmap_bytes + res.struct_page_bytes) / 1024.0, false, 0);
	detail(r, "1 GiB pool, 3000 allocations and holes");
	if (res.differ) {
		pdma__err(err, "bench p2pmem: %ld of %ld placements differ from the first-fit bitmap's",
			  res.differ, res.placed);
		return -EIO;
	}
	return 0;
}

static int run_fence(const struct pdma_bench_opts *o, struct rows *rs,
		     struct pdma_error *err)
{
	static const char base[] = "mutex + condition variable";
	int runs = o->quick ? 5 : 31, div = o->quick ? 10 : 1;
	struct pdma__bench_fence_res a, b;
	int ret;

	ret = pdma__bench_fence_lifecycle(runs, 50000 / div, &a);
	if (!ret)
		row(rs, "fence/lifecycle", "create+callback+signal+release",
		    base, "ns", a.ours_ns, a.base_ns, false, 0);
	if (!ret)
		ret = pdma__bench_fence_wait(runs, 500000 / div, &a);
	if (!ret)
		row(rs, "fence/wait-signalled", "pdma_fence_wait", base,
		    "ns", a.ours_ns, a.base_ns, false, 0);
	for (unsigned int n = 8; n <= 64 && !ret; n *= 8) {
		char name[40];

		ret = pdma__bench_fence_resv(n, runs, (100000 / n + 250) / div,
					     &a, &b);
		if (ret)
			break;
		snprintf(name, sizeof(name), "fence/resv-add-%u", n);
		row(rs, name, "pdma_resv_add_fence, per fence",
		    "mutex-protected array", "ns", a.ours_ns, a.base_ns,
		    false, 0);
		snprintf(name, sizeof(name), "fence/resv-iter-%u", n);
		row(rs, name, "unlocked iteration, per fence",
		    "walk holding the mutex", "ns", b.ours_ns, b.base_ns,
		    false, 0);
	}
	if (ret)
		pdma__err(err, "bench fence: %s", strerror(-ret));
	return ret;
}

/*
 * The copy-offload scenario end to end (devices, queues, DMA mapping,
 * verification), once P2P and once staged through RAM per call; calls
 * repeated, the median of each kept.
 */
static int run_scenario(const struct pdma_bench_opts *o, struct rows *rs,
			struct pdma_error *err)
{
	uint64_t total = o->quick ? 8 << 20 : 64 << 20;
	int runs = o->quick ? 3 : 5;
	double p[5], b[5];
	struct pdma_bench_row *r;
	bool used = true;

	for (int i = 0; i < runs; i++) {
		bool u = false;
		int ret = pdma_scenario_compare_bounce("", total, &p[i], &b[i],
						       &u, err);

		if (ret)
			return ret;
		used &= u;
	}
	r = row(rs, "scenario/p2p-vs-bounce", "copy-offload scenario, P2P",
		"the same staged through RAM", "GB/s",
		pdma__bench_median(p, runs), pdma__bench_median(b, runs),
		true, 0);
	detail(r, "default preset, %llu MiB per run, all bytes verified%s",
	       (unsigned long long)(total >> 20),
	       used ? "" : "; P2P was NOT possible on this fabric");
	return 0;
}

static const struct bench {
	const char *name;
	const char *summary;
	int (*run)(const struct pdma_bench_opts *o, struct rows *rs,
		   struct pdma_error *err);
	int nr_rows;
} benches[] = {
	{ "verdict", "the full P2P matrix of a synthetic fabric vs the kernel's per-pair walk",
	  run_verdict, 1 },
	{ "copy", "emulated P2P copies vs memcpy and vs the bounce through RAM",
	  run_copy, 2 },
	{ "iova", "IOVA magazine caches vs the IOVA tree, 1 and 2 threads",
	  run_iova, 2 },
	{ "p2pmem", "p2pmem extent allocator vs a first-fit bitmap and malloc",
	  run_p2pmem, 3 },
	{ "fence", "fences and reservation objects vs a mutex and condvar",
	  run_fence, 6 },
	{ "scenario", "the copy-offload scenario end to end, P2P vs staged through RAM",
	  run_scenario, 1 },
};

#define NR_BENCHES ((int)(sizeof(benches) / sizeof(benches[0])))

void pdma_bench_opts_init(struct pdma_bench_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->seed = 4096;
}

int pdma_bench_count(void)
{
	return NR_BENCHES;
}

const char *pdma_bench_name(int i)
{
	return i >= 0 && i < NR_BENCHES ? benches[i].name : NULL;
}

const char *pdma_bench_summary(int i)
{
	return i >= 0 && i < NR_BENCHES ? benches[i].summary : NULL;
}

int pdma_bench_run(const char *name, const struct pdma_bench_opts *o,
		   struct pdma_bench_row *rows, int max_rows, int *nr_rows,
		   struct pdma_error *err)
{
	struct pdma_bench_opts def;
	struct rows rs = { .r = rows, .max = max_rows };
	int ret;

	*nr_rows = 0;
	if (!o) {
		pdma_bench_opts_init(&def);
		o = &def;
	}
	for (int i = 0; i < NR_BENCHES; i++) {
		if (strcmp(benches[i].name, name))
			continue;
		if (max_rows < benches[i].nr_rows) {
			pdma__err(err, "bench %s: returns %d rows, room for %d",
				  name, benches[i].nr_rows, max_rows);
			return -ENOSPC;
		}
		ret = benches[i].run(o, &rs, err);
		*nr_rows = rs.n;
		return ret;
	}
	pdma__err(err, "no benchmark '%s'", name);
	return -ENOENT;
}
