/* SPDX-License-Identifier: MIT */
/*
 * The measuring cores of the benchmarks (include/peerdma/bench.h builds
 * its rows from these; the bench/ programs print their details).  Every
 * core runs ours and its baseline interleaved, in one process, and keeps
 * the median of several runs: the 2-core machines these run on are noisy.
 */
#ifndef PDMA_BENCH_INTERNAL_H
#define PDMA_BENCH_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <peerdma/bench.h>
#include <peerdma/platform.h>

#include "fabric/model.h"

/* util.c: clocks (seconds) and the median of @n samples (sorts them). */
PDMA_INTERNAL double pdma__bench_now(void);
PDMA_INTERNAL double pdma__bench_cpu_now(void);	/* this thread's CPU time */
PDMA_INTERNAL double pdma__bench_median(double *v, int n);

/**
 * struct pdma__bench_verdict - the full P2P matrix of a synthetic fabric,
 * the kernel's way (pdma__kernel_calc per pair) and ours (one
 * pdma__verdict_row per provider), on the same providers.
 * In: @seed, @endpoints, @kernel_budget_s (the kernel-shaped passes stay
 * under about this much CPU time: a random sample of providers is timed
 * when the full matrix would take longer), @kernel_runs, @ours_runs.
 * Out: the fabric's shape, @nr_prov providers timed (of @nr_eps), the
 * estimate @est_full_s of one kernel-shaped full matrix, @kruns kernel
 * passes made, @pairs per pass, median pass times, verdict @counts by map
 * type and @bad pairs that differ (the first one is described in @mismatch).
 */
struct pdma__bench_verdict {
	uint64_t seed;
	int endpoints;
	double kernel_budget_s;
	int kernel_runs, ours_runs;

	int nr_hbs, nr_funcs, nr_eps, nr_bridges, max_depth;
	int nr_prov, kruns;
	double est_full_s, pairs, kernel_s, ours_s;
	long counts[8], bad;
	char mismatch[160];
};

/* verdict.c: Return: 0, -ENOMEM, or the generator's error in @err. */
PDMA_INTERNAL int pdma__bench_verdict(struct pdma__bench_verdict *v,
				      struct pdma_error *err);

/* copy.c: an NVMe CMB and a GPU BAR below one switch, and RAM. */
struct pdma__bench_copy;
struct pdma__bench_copy_res {
	double memcpy_gbs;	/* memcpy between the two BARs' memory */
	double p2p_gbs;		/* pdma_fabric_copy CMB -> GPU BAR */
	double bounce_gbs;	/* CMB -> RAM -> GPU BAR */
	double heap_gbs;	/* memcpy between heap buffers */
};

/* Room for copies of up to @max_len bytes; everything touched once. */
PDMA_INTERNAL int pdma__bench_copy_create(size_t max_len,
					  struct pdma__bench_copy **out,
					  struct pdma_error *err);
PDMA_INTERNAL void pdma__bench_copy_destroy(struct pdma__bench_copy *b);
/* The link model's GB/s for the P2P path and the bounce (gen4 x16). */
PDMA_INTERNAL int pdma__bench_copy_model(struct pdma__bench_copy *b,
					 double *p2p, double *bounce);
/* @runs runs of copies of @len bytes, @total bytes per run and way. */
PDMA_INTERNAL int pdma__bench_copy_size(struct pdma__bench_copy *b,
					size_t len, size_t total, int runs,
					struct pdma__bench_copy_res *res);
/* A last P2P copy of @len bytes: 0 when the bytes arrived, else -EIO. */
PDMA_INTERNAL int pdma__bench_copy_check(struct pdma__bench_copy *b,
					 size_t len);

/* iova.c: alloc+free pairs/s, magazines vs the tree, 4096 live ranges. */
struct pdma__bench_iova_res {
	double tree, cache;	/* pairs per second */
	double hit_pct;		/* of the magazines */
};
PDMA_INTERNAL int pdma__bench_iova(int nthreads, long tree_pairs,
				   long cache_pairs, int runs,
				   struct pdma__bench_iova_res *res);

/* p2pmem.c: alloc+free pairs/s on a 3/4 full 1 GiB pool, and metadata. */
struct pdma__bench_p2pmem_res {
	double ours, bitmap, malloc_;	/* pairs per second */
	long placed, differ;	/* lockstep check against the bitmap */
	size_t pool;
	size_t meta_empty, meta_full, meta_1024, meta_holes, meta_frag;
	size_t bitmap_bytes, struct_page_bytes;
};
PDMA_INTERNAL int pdma__bench_p2pmem(int steps, int runs,
				     struct pdma__bench_p2pmem_res *res);

/* fence.c: ns per operation, ours vs a mutex + condvar design. */
struct pdma__bench_fence_res {
	double ours_ns, base_ns;
};
PDMA_INTERNAL int pdma__bench_fence_lifecycle(int runs, int n,
					      struct pdma__bench_fence_res *r);
PDMA_INTERNAL int pdma__bench_fence_wait(int runs, int n,
					 struct pdma__bench_fence_res *r);
/* Adding @n fences to a reservation object, iterating them unlocked. */
PDMA_INTERNAL int pdma__bench_fence_resv(unsigned int n, int runs,
					 unsigned long rounds,
					 struct pdma__bench_fence_res *add,
					 struct pdma__bench_fence_res *iter);

#endif /* PDMA_BENCH_INTERNAL_H */
