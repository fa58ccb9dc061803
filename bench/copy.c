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
 * Ours and the baseline run interleaved in one process; each figure is the
 * median of several runs.  The link model's prediction for the same two
 * paths (gen4 x16 links) is printed first: the bounce path crosses the
 * switch's uplink and RAM twice, store and forward.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <peerdma/peerdma.h>

#include "bench.h"

#define RUNS 7

static struct pdma_fabric *build(void)
{
	struct pdma_platform_info pi = { .cpu_vendor = PDMA_CPU_AMD,
					 .cpu_family = 0x19 };
	struct pdma_func_info fi;
	struct pdma_fabric *fab;
	struct pdma_error err;
	int rp, usp, d0, d1;

	if (pdma_fabric_create(&fab))
		exit(1);
	memset(&fi, 0, sizeof(fi));
	fi.link_cur = (struct pdma_link){ 4, 16 };
	fi.numa_node = -1;
	fi.iommu_group = -1;
	fi.acs_known = true;
	fi.host_bridge = PDMA_AUTO;
	fi.parent = PDMA_NONE;
	fi.header_type = 1;
	fi.class_code = 0x060400;
	fi.pcie_type = PDMA_PCIE_ROOT_PORT;
	fi.dev = 1;
	fi.secondary_bus = fi.subordinate_bus = 1;
	pdma_fabric_add_func(fab, &fi, &rp);
	fi.pcie_type = PDMA_PCIE_UPSTREAM;
	fi.bus = 1;
	fi.dev = 0;
	fi.parent = rp;
	fi.secondary_bus = fi.subordinate_bus = 2;
	pdma_fabric_add_func(fab, &fi, &usp);
	fi.pcie_type = PDMA_PCIE_DOWNSTREAM;
	fi.bus = 2;
	fi.parent = usp;
	fi.secondary_bus = fi.subordinate_bus = 3;
	pdma_fabric_add_func(fab, &fi, &d0);
	fi.dev = 1;
	fi.secondary_bus = fi.subordinate_bus = 4;
	pdma_fabric_add_func(fab, &fi, &d1);

	fi.header_type = 0;
	fi.pcie_type = PDMA_PCIE_ENDPOINT;
	fi.secondary_bus = fi.subordinate_bus = 0;
	fi.dev = 0;
	fi.bus = 3;
	fi.parent = d0;
	fi.class_code = 0x010802;	/* NVMe with a 128 MiB CMB */
	fi.bars[2] = (struct pdma_bar){ 0, 128 << 20,
					PDMA_BAR_MEM | PDMA_BAR_64 | PDMA_BAR_PREFETCH };
	pdma_fabric_add_func(fab, &fi, NULL);
	fi.bus = 4;
	fi.parent = d1;
	fi.class_code = 0x030200;	/* GPU with a 256 MiB BAR */
	fi.bars[2].size = 256 << 20;
	pdma_fabric_add_func(fab, &fi, NULL);
	pdma_fabric_set_platform(fab, &pi);
	if (pdma_fabric_finalize(fab, &err)) {
		fprintf(stderr, "bench-copy: %s\n", err.msg);
		exit(1);
	}
	return fab;
}

int main(void)
{
	static const size_t sizes[] = { 64 << 10, 256 << 10, 1 << 20, 4 << 20,
					16 << 20, 64 << 20 };
	struct pdma_fabric *fab = build();
	struct pdma_platform_opts o;
	struct pdma_platform *plat;
	struct pdma_bar_map cmb, vram;
	struct pdma_error err;
	uint64_t ram_phys;
	int nvme, gpu, fails = 0;
	char *src, *dst;
	void *ram;

	pdma_platform_opts_init(&o);
	o.ram_bytes = 128 << 20;
	if (pdma_platform_create(fab, &o, &plat, &err)) {
		fprintf(stderr, "bench-copy: %s\n", err.msg);
		return 1;
	}
	nvme = pdma_fabric_lookup(fab, "03:00.0");
	gpu = pdma_fabric_lookup(fab, "04:00.0");
	pdma_platform_bar(plat, nvme, 2, &cmb);
	pdma_platform_bar(plat, gpu, 2, &vram);
	pdma_platform_ram(plat, &ram_phys, NULL, &ram, NULL);
	src = malloc(64 << 20);
	dst = malloc(64 << 20);
	/* Touch everything once so that page faults are not measured. */
	memset(src, 1, 64 << 20);
	memset(dst, 2, 64 << 20);
	memset(cmb.mem, 3, 64 << 20);
	memset(vram.mem, 4, 64 << 20);
	memset(ram, 5, 64 << 20);

	printf("bench-copy: emulated P2P copy (NVMe CMB -> GPU BAR, one switch)\n");
	{
		struct pdma_flow p2p = { gpu, cmb.bus_addr, false, 0 };
		struct pdma_flow leg1 = { nvme, ram_phys, true, 0 };
		struct pdma_flow leg2 = { gpu, ram_phys, false, 0 };
		double rp, r1, r2, bounce;

		if (pdma_platform_model_flows(plat, &p2p, 1, NULL, &rp) ||
		    pdma_platform_model_flows(plat, &leg1, 1, NULL, &r1) ||
		    pdma_platform_model_flows(plat, &leg2, 1, NULL, &r2)) {
			fprintf(stderr, "bench-copy: link model failed\n");
			return 1;
		}
		bounce = 1 / (1 / r1 + 1 / r2);
		printf("modeled (gen4 x16 links): p2p %.2f GB/s, bounce %.2f GB/s (store and forward through RAM): %.2fx\n",
		       rp, bounce, rp / bounce);
	}
	printf("measured (the emulator's own data plane):\n");
	printf("%10s %12s %12s %8s %12s %8s %12s\n", "size", "memcpy GB/s",
	       "p2p GB/s", "ratio", "bounce GB/s", "p2p/bnc", "heap memcpy");
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		size_t len = sizes[s];
		int iters = (int)((256 << 20) / len);
		double tm[RUNS], tp[RUNS], tb[RUNS], th[RUNS], m, p, b, h;

		for (int r = 0; r < RUNS; r++) {
			double t0 = bench_now();

			for (int i = 0; i < iters; i++)
				memcpy(vram.mem, cmb.mem, len);
			tm[r] = bench_now() - t0;
			t0 = bench_now();
			for (int i = 0; i < iters; i++)
				memcpy(dst, src, len);
			th[r] = bench_now() - t0;
			t0 = bench_now();
			for (int i = 0; i < iters; i++)
				fails |= pdma_fabric_copy(plat, gpu, vram.bus_addr,
							  cmb.bus_addr, len);
			tp[r] = bench_now() - t0;
			t0 = bench_now();
			for (int i = 0; i < iters; i++) {
				fails |= pdma_fabric_copy(plat, nvme, ram_phys,
							  cmb.bus_addr, len);
				fails |= pdma_fabric_copy(plat, gpu, vram.bus_addr,
							  ram_phys, len);
			}
			tb[r] = bench_now() - t0;
		}
		m = (double)len * iters / bench_median(tm, RUNS) / 1e9;
		p = (double)len * iters / bench_median(tp, RUNS) / 1e9;
		b = (double)len * iters / bench_median(tb, RUNS) / 1e9;
		h = (double)len * iters / bench_median(th, RUNS) / 1e9;
		printf("%9zuK %12.2f %12.2f %7.2fx %12.2f %7.2fx %12.2f\n",
		       len >> 10, m, p, p / m, b, p / b, h);
	}
	/* The last copies were the P2P ones: check the bytes arrived. */
	memset(cmb.mem, 6, 64 << 20);
	fails |= pdma_fabric_copy(plat, gpu, vram.bus_addr, cmb.bus_addr, 64 << 20);
	if (memcmp(vram.mem, cmb.mem, 64 << 20))
		fails = 1;
	printf("goals: p2p/memcpy >= 0.9x from 1 MiB up; p2p/bounce >= 1.8x\n");
	pdma_platform_destroy(plat);
	pdma_fabric_destroy(fab);
	free(src);
	free(dst);
	if (fails)
		fprintf(stderr, "bench-copy: a copy failed or the bytes differ\n");
	return fails ? 1 : 0;
}
