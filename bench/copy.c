/* SPDX-License-Identifier: MIT */
/*
 * bench/copy: what the emulated data plane costs.
 *
 * 1. A device-to-device copy through the fabric (an NVMe CMB into a GPU
 *    BAR below one switch: routed once per segment, then memcpy) against a
 *    plain memcpy of the same size between the same two memory regions,
 *    64 KiB to 64 MiB: the cost of emulation.  Goal: >= 0.9x from 1 MiB up.
 *    (A memcpy between private heap buffers is printed too, for reference:
 *    those get transparent huge pages, which shmem-backed BARs do not get
 *    on kernels with shmem_enabled=never, so it also measures page size.)
 * 2. The P2P copy against the bounce path on the same fabric (CMB to RAM,
 *    then RAM to the GPU), which moves every byte twice.  Goal: >= 1.8x.
 *
 * The measuring is the library's (src/bench/copy.c, also behind 'peerdma
 * bench'): ours and the baseline interleaved, median of 7 runs.  The link
 * model's prediction for the same two paths (gen4 x16) is printed first.
 */
#include <stdio.h>

#include "bench/bench_internal.h"

#define RUNS 7

int main(void)
{
	static const size_t sizes[] = { 64 << 10, 256 << 10, 1 << 20, 4 << 20,
					16 << 20, 64 << 20 };
	struct pdma__bench_copy *b;
	struct pdma_error err;
	double rp, bounce;
	int fails = 0;

	if (pdma__bench_copy_create(64 << 20, &b, &err)) {
		fprintf(stderr, "bench-copy: %s\n", err.msg);
		return 1;
	}
	printf("bench-copy: emulated P2P copy (NVMe CMB -> GPU BAR, one switch)\n");
	if (pdma__bench_copy_model(b, &rp, &bounce)) {
		fprintf(stderr, "bench-copy: link model failed\n");
		return 1;
	}
	printf("modeled (gen4 x16 links): p2p %.2f GB/s, bounce %.2f GB/s (store and forward through RAM): %.2fx\n",
	       rp, bounce, rp / bounce);
	printf("measured (the emulator's own data plane):\n");
	printf("%10s %12s %12s %8s %12s %8s %12s\n", "size", "memcpy GB/s",
	       "p2p GB/s", "ratio", "bounce GB/s", "p2p/bnc", "heap memcpy");
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		struct pdma__bench_copy_res r;

		fails |= pdma__bench_copy_size(b, sizes[s], 256 << 20, RUNS, &r);
		printf("%9zuK %12.2f %12.2f %7.2fx %12.2f %7.2fx %12.2f\n",
		       sizes[s] >> 10, r.memcpy_gbs, r.p2p_gbs,
		       r.p2p_gbs / r.memcpy_gbs, r.bounce_gbs,
		       r.p2p_gbs / r.bounce_gbs, r.heap_gbs);
	}
	fails |= pdma__bench_copy_check(b, 64 << 20);
	printf("goals: p2p/memcpy >= 0.9x from 1 MiB up; p2p/bounce >= 1.8x\n");
	pdma__bench_copy_destroy(b);
	if (fails)
		fprintf(stderr, "bench-copy: a copy failed or the bytes differ\n");
	return fails ? 1 : 0;
}
