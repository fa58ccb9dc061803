/* SPDX-License-Identifier: MIT */
/*
 * The link model on the platform.
 *
 *   rp 00:02.0 ── usp 01:00.0 (gen4 x16) ─┬─ dsp ── 03:00.0 GPU0 gen4 x16
 *                                         ├─ dsp ── 04:00.0 GPU1 gen4 x16
 *                                         └─ dsp ── 05:00.0 NIC  gen3 x8
 */
#include <errno.h>
#include <math.h>

#include "tb.h"

static int ep(struct tb *t, int parent, uint8_t bus, uint32_t cls,
	      struct pdma_link l)
{
	struct pdma_func_info fi = tb_info(bus, 0, 0);

	fi.class_code = cls;
	fi.parent = parent;
	fi.link_cur = l;
	fi.bars[0] = (struct pdma_bar){ 0, 1 << 20, PDMA_BAR_MEM };
	return tb_add(t, &fi);
}

static bool near(double a, double b)
{
	return fabs(a - b) < 1e-9 * (fabs(a) + fabs(b) + 1);
}

int main(void)
{
	struct pdma_link g4x16 = { 4, 16 }, g3x8 = { 3, 8 };
	struct pdma_fabric *fab;
	struct pdma_platform *plat;
	struct pdma_bar_map b0, b1;
	struct pdma_func_info fi;
	struct pdma_error err;
	struct pdma_verdict v;
	struct tb t;
	double r[3], secs, gbps, x16, x8;
	uint64_t ram;
	int rp, usp, d[3], gpu0, gpu1, nic;

	tb_init(&t);
	tb_ep(&t, PDMA_NONE, 0, 0, 0, 0x060000);
	rp = tb_port(&t, PDMA_PCIE_ROOT_PORT, PDMA_NONE, 0, 2, 0, 1);
	fi = tb_info(1, 0, 0);
	fi.header_type = 1;
	fi.class_code = 0x060400;
	fi.pcie_type = PDMA_PCIE_UPSTREAM;
	fi.secondary_bus = 2;
	fi.subordinate_bus = 5;
	fi.parent = rp;
	fi.link_cur = g4x16;
	usp = tb_add(&t, &fi);
	for (int i = 0; i < 3; i++)
		d[i] = tb_port(&t, PDMA_PCIE_DOWNSTREAM, usp, 2, (uint8_t)i, 0,
			       (uint8_t)(3 + i));
	ep(&t, d[0], 3, 0x030200, g4x16);
	ep(&t, d[1], 4, 0x030200, g4x16);
	ep(&t, d[2], 5, 0x020700, g3x8);
	fab = tb_done(&t);
	REQUIRE(pdma_platform_create(fab, NULL, &plat, &err) == 0);
	gpu0 = tb_idx(fab, "03:00.0");
	gpu1 = tb_idx(fab, "04:00.0");
	nic = tb_idx(fab, "05:00.0");
	REQUIRE(pdma_platform_bar(plat, gpu0, 0, &b0) == 0);
	REQUIRE(pdma_platform_bar(plat, gpu1, 0, &b1) == 0);
	pdma_platform_ram(plat, &ram, NULL, NULL, NULL);
	x16 = pdma_link_data_gbps(g4x16, NULL);
	x8 = pdma_link_data_gbps(g3x8, NULL);
	CHECK(x16 > 25 && x16 < 31.5);	/* 31.5 GB/s less TLP/DLLP overhead */

	/* One flow: its narrowest link. */
	{
		struct pdma_flow f = { gpu0, b1.bus_addr, true, 0 };

		CHECK_EQ_INT(pdma_platform_model_transfer(plat, &f, 1 << 30, NULL,
							  &secs, &gbps), 0);
		CHECK(near(gbps, x16));
		CHECK(near(secs, (double)(1 << 30) / (x16 * 1e9)));
		f = (struct pdma_flow){ nic, b0.bus_addr, true, 0 };
		CHECK_EQ_INT(pdma_platform_model_flows(plat, &f, 1, NULL, r), 0);
		CHECK(near(r[0], x8));
	}
	/* Two GPUs writing to RAM share the switch's uplink. */
	{
		struct pdma_flow f[2] = { { gpu0, ram, true, 0 },
					  { gpu1, ram + 4096, true, 0 } };

		CHECK_EQ_INT(pdma_platform_model_flows(plat, f, 2, NULL, r), 0);
		CHECK(near(r[0], x16 / 2) && near(r[1], x16 / 2));
		/* A read and a write go opposite ways: full duplex. */
		f[1].write = false;
		CHECK_EQ_INT(pdma_platform_model_flows(plat, f, 2, NULL, r), 0);
		CHECK(near(r[0], x16) && near(r[1], x16));
	}
	/* Max-min: the NIC is held by its own link; the GPU gets the rest. */
	{
		struct pdma_flow f[3] = { { nic, ram, true, 0 },
					  { gpu0, ram + 4096, true, 0 },
					  { gpu1, ram + 8192, true, 5.0 } };

		CHECK_EQ_INT(pdma_platform_model_flows(plat, f, 3, NULL, r), 0);
		CHECK(near(r[2], 5.0));			/* its demand */
		CHECK(near(r[0], x8));			/* its own link */
		CHECK(near(r[1], x16 - x8 - 5.0));	/* what is left */
	}
	/* explain's modeled figure is the single-flow rate. */
	REQUIRE(pdma_verdict_explain(fab, gpu0, nic, &v) == 0);
	CHECK(near(v.modeled_gbps, x8));
	CHECK(v.bottleneck_gbps > v.modeled_gbps);
	pdma_verdict_release(&v);

	/* Errors. */
	{
		struct pdma_flow f = { gpu0, 0x10, true, 0 };

		CHECK_EQ_INT(pdma_platform_model_flows(plat, &f, 1, NULL, r),
			     -EREMOTEIO);
		CHECK_EQ_INT(pdma_platform_model_flows(plat, NULL, 1, NULL, r),
			     -EINVAL);
		CHECK_EQ_INT(pdma_platform_model_flows(plat, &f, 0, NULL, r),
			     -EINVAL);
		/* A function with its own BAR crosses no link: unbounded. */
		f = (struct pdma_flow){ gpu0, b0.bus_addr, true, 0 };
		CHECK_EQ_INT(pdma_platform_model_flows(plat, &f, 1, NULL, r),
			     -EDOM);
		f.demand_gbps = 7;
		CHECK_EQ_INT(pdma_platform_model_flows(plat, &f, 1, NULL, r), 0);
		CHECK(near(r[0], 7));
	}
	pdma_platform_destroy(plat);
	pdma_fabric_destroy(fab);
	return harness_exit();
}
