// SPDX-License-Identifier: MIT
/*
 * bench: what the emulated data plane costs.  A device-to-device copy
 * through the fabric (an NVMe CMB into a GPU BAR below one switch: routed
 * once per segment, then memcpy) against a plain memcpy of the same size
 * between the same two memory regions (the cost of emulation), and against
 * the bounce path on the same fabric (CMB to RAM, then RAM to the GPU),
 * which moves every byte twice.  A memcpy between private heap buffers is
 * measured too, for reference: those get transparent huge pages, which
 * shmem-backed BARs do not get on kernels with shmem_enabled=never.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench_internal.h"

#define MAX_RUNS 15

struct pdma__bench_copy {
	struct pdma_fabric *fab;
	struct pdma_platform *plat;
	struct pdma_bar_map cmb, vram;
	uint64_t ram_phys;
	void *ram;
	char *src, *dst;
	int nvme, gpu;
	size_t max_len;
};

/* A root port, a switch with two downstream ports, NVMe and GPU below. */
static int build(struct pdma_fabric **out, struct pdma_error *err)
{
	struct pdma_platform_info pi = { .cpu_vendor = PDMA_CPU_AMD,
					 .cpu_family = 0x19 };
	struct pdma_func_info fi;
	struct pdma_fabric *fab;
	int rp, usp, d0, d1, ret;

	ret = pdma_fabric_create(&fab);
	if (ret)
		return ret;
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
	ret |= pdma_fabric_add_func(fab, &fi, &rp);
	fi.pcie_type = PDMA_PCIE_UPSTREAM;
	fi.bus = 1;
	fi.dev = 0;
	fi.parent = rp;
	fi.secondary_bus = fi.subordinate_bus = 2;
	ret |= pdma_fabric_add_func(fab, &fi, &usp);
	fi.pcie_type = PDMA_PCIE_DOWNSTREAM;
	fi.bus = 2;
	fi.parent = usp;
	fi.secondary_bus = fi.subordinate_bus = 3;
	ret |= pdma_fabric_add_func(fab, &fi, &d0);
	fi.dev = 1;
	fi.secondary_bus = fi.subordinate_bus = 4;
	ret |= pdma_fabric_add_func(fab, &fi, &d1);

	fi.header_type = 0;
	fi.pcie_type = PDMA_PCIE_ENDPOINT;
	fi.secondary_bus = fi.subordinate_bus = 0;
	fi.dev = 0;
	fi.bus = 3;
	fi.parent = d0;
	fi.class_code = 0x010802;	/* NVMe with a 128 MiB CMB */
	fi.bars[2] = (struct pdma_bar){ 0, 128 << 20,
					PDMA_BAR_MEM | PDMA_BAR_64 | PDMA_BAR_PREFETCH };
	ret |= pdma_fabric_add_func(fab, &fi, NULL);
	fi.bus = 4;
	fi.parent = d1;
	fi.class_code = 0x030200;	/* GPU with a 256 MiB BAR */
	fi.bars[2].size = 256 << 20;
	ret |= pdma_fabric_add_func(fab, &fi, NULL);
	pdma_fabric_set_platform(fab, &pi);
	if (ret) {
		pdma__err(err, "bench copy: cannot build the fabric");
		ret = -EINVAL;
	} else {
		ret = pdma_fabric_finalize(fab, err);
	}
	if (ret) {
		pdma_fabric_destroy(fab);
		return ret;
	}
	*out = fab;
	return 0;
}

int pdma__bench_copy_create(size_t max_len, struct pdma__bench_copy **out,
			    struct pdma_error *err)
{
	struct pdma__bench_copy *b;
	struct pdma_platform_opts o;
	int ret;

	*out = NULL;
	if (max_len > 64 << 20) {
		pdma__err(err, "bench copy: at most 64 MiB per copy, not %zu bytes",
			  max_len);
		return -EINVAL;
	}
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->max_len = max_len;
	ret = build(&b->fab, err);
	if (ret)
		goto free_b;
	pdma_platform_opts_init(&o);
	o.ram_bytes = 128 << 20;
	ret = pdma_platform_create(b->fab, &o, &b->plat, err);
	if (ret)
		goto destroy_fab;
	b->nvme = pdma_fabric_lookup(b->fab, "03:00.0");
	b->gpu = pdma_fabric_lookup(b->fab, "04:00.0");
	ret = pdma_platform_bar(b->plat, b->nvme, 2, &b->cmb);
	if (!ret)
		ret = pdma_platform_bar(b->plat, b->gpu, 2, &b->vram);
	if (ret) {
		pdma__err(err, "bench copy: the platform has no BAR or RAM");
		goto destroy_plat;
	}
	pdma_platform_ram(b->plat, &b->ram_phys, NULL, &b->ram, NULL);
	ret = -ENOMEM;
	b->src = malloc(max_len);
	b->dst = malloc(max_len);
	if (!b->src || !b->dst)
		goto free_bufs;
	/* Touch everything once so that page faults are not measured. */
	memset(b->src, 1, max_len);
	memset(b->dst, 2, max_len);
	memset(b->cmb.mem, 3, max_len);
	memset(b->vram.mem, 4, max_len);
	memset(b->ram, 5, max_len);
	*out = b;
	return 0;
free_bufs:
	free(b->src);
	free(b->dst);
destroy_plat:
	pdma_platform_destroy(b->plat);
destroy_fab:
	pdma_fabric_destroy(b->fab);
free_b:
	free(b);
	return ret;
}

void pdma__bench_copy_destroy(struct pdma__bench_copy *b)
{
	if (!b)
		return;
	pdma_platform_destroy(b->plat);
	pdma_fabric_destroy(b->fab);
	free(b->src);
	free(b->dst);
	free(b);
}

int pdma__bench_copy_model(struct pdma__bench_copy *b, double *p2p,
			   double *bounce)
{
	struct pdma_flow fp = { b->gpu, b->cmb.bus_addr, false, 0 };
	struct pdma_flow leg1 = { b->nvme, b->ram_phys, true, 0 };
	struct pdma_flow leg2 = { b->gpu, b->ram_phys, false, 0 };
	double r1, r2;

	if (pdma_platform_model_flows(b->plat, &fp, 1, NULL, p2p) ||
	    pdma_platform_model_flows(b->plat, &leg1, 1, NULL, &r1) ||
	    pdma_platform_model_flows(b->plat, &leg2, 1, NULL, &r2))
		return -EIO;
	/* Store and forward through RAM: one leg after the other. */
	*bounce = 1 / (1 / r1 + 1 / r2);
	return 0;
}

int pdma__bench_copy_size(struct pdma__bench_copy *b, size_t len,
			  size_t total, int runs,
			  struct pdma__bench_copy_res *res)
{
	double tm[MAX_RUNS], tp[MAX_RUNS], tb[MAX_RUNS], th[MAX_RUNS], bytes;
	int iters, fails = 0;

	if (!len || len > b->max_len)
		return -EINVAL;
	runs = runs < 1 ? 1 : runs > MAX_RUNS ? MAX_RUNS : runs;
	iters = total / len ? (int)(total / len) : 1;
	for (int r = 0; r < runs; r++) {
		double t0 = pdma__bench_now();

		for (int i = 0; i < iters; i++)
			memcpy(b->vram.mem, b->cmb.mem, len);
		tm[r] = pdma__bench_now() - t0;
		t0 = pdma__bench_now();
		for (int i = 0; i < iters; i++)
			memcpy(b->dst, b->src, len);
		th[r] = pdma__bench_now() - t0;
		t0 = pdma__bench_now();
		for (int i = 0; i < iters; i++)
			fails |= pdma_fabric_copy(b->plat, b->gpu,
						  b->vram.bus_addr,
						  b->cmb.bus_addr, len);
		tp[r] = pdma__bench_now() - t0;
		t0 = pdma__bench_now();
		for (int i = 0; i < iters; i++) {
			fails |= pdma_fabric_copy(b->plat, b->nvme, b->ram_phys,
						  b->cmb.bus_addr, len);
			fails |= pdma_fabric_copy(b->plat, b->gpu,
						  b->vram.bus_addr,
						  b->ram_phys, len);
		}
		tb[r] = pdma__bench_now() - t0;
	}
	bytes = (double)len * iters;
	res->memcpy_gbs = bytes / pdma__bench_median(tm, runs) / 1e9;
	res->p2p_gbs = bytes / pdma__bench_median(tp, runs) / 1e9;
	res->bounce_gbs = bytes / pdma__bench_median(tb, runs) / 1e9;
	res->heap_gbs = bytes / pdma__bench_median(th, runs) / 1e9;
	return fails ? -EIO : 0;
}

int pdma__bench_copy_check(struct pdma__bench_copy *b, size_t len)
{
	if (len > b->max_len)
		return -EINVAL;
	memset(b->cmb.mem, 6, len);
	if (pdma_fabric_copy(b->plat, b->gpu, b->vram.bus_addr,
			     b->cmb.bus_addr, len))
		return -EIO;
	return memcmp(b->vram.mem, b->cmb.mem, len) ? -EIO : 0;
}
