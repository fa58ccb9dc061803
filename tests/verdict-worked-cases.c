/* SPDX-License-Identifier: MIT */
/*
 * The worked cases of the kernel's calc_map_type_and_dist() (reference
 * 1.4), each on a small hand-built fabric:
 *
 *   rp0 00:02.0 ── usp 01:00.0 ─┬─ dsp 02:00.0 ── 03:00.0 (A)
 *                               └─ dsp 02:01.0 ── 04:00.0 (B)
 *   rp1 00:03.0 ── 05:00.0 (C, fn 0) + 05:00.1 (D, fn 1)
 *   rp2 00:04.0 ── 06:00.0 (E)
 *   00:08.0 (F, on the root bus, no bridge above)
 */
#include "tb.h"

static struct pdma_fabric *build(uint16_t rp0_acs, uint16_t usp_acs,
				 uint16_t dsp0_acs, int cpu_family,
				 enum pdma_cpu_vendor vendor)
{
	struct tb t;
	int rp0, usp, d0, d1, rp1, rp2;

	tb_init(&t);
	t.pi.cpu_vendor = vendor;
	t.pi.cpu_family = cpu_family;
	tb_ep(&t, PDMA_NONE, 0x00, 0, 0, 0x060000);	/* host bridge 00:00.0 */
	rp0 = tb_acs_port(&t, PDMA_PCIE_ROOT_PORT, PDMA_NONE, 0, 2, 0, 1, rp0_acs);
	usp = tb_acs_port(&t, PDMA_PCIE_UPSTREAM, rp0, 1, 0, 0, 2, usp_acs);
	d0 = tb_acs_port(&t, PDMA_PCIE_DOWNSTREAM, usp, 2, 0, 0, 3, dsp0_acs);
	d1 = tb_port(&t, PDMA_PCIE_DOWNSTREAM, usp, 2, 1, 0, 4);
	tb_ep(&t, d0, 3, 0, 0, 0x010802);
	tb_ep(&t, d1, 4, 0, 0, 0x030000);
	rp1 = tb_port(&t, PDMA_PCIE_ROOT_PORT, PDMA_NONE, 0, 3, 0, 5);
	tb_ep(&t, rp1, 5, 0, 0, 0x020000);
	tb_ep(&t, rp1, 5, 0, 1, 0x020000);
	rp2 = tb_port(&t, PDMA_PCIE_ROOT_PORT, PDMA_NONE, 0, 4, 0, 6);
	tb_ep(&t, rp2, 6, 0, 0, 0x120000);
	tb_ep(&t, PDMA_NONE, 0, 8, 0, 0x010802);
	return tb_done(&t);
}

static void check(struct pdma_fabric *fab, const char *p, const char *c,
		  enum pdma_map_type want, int want_dist)
{
	int d = -99;
	enum pdma_map_type t = tb_verdict(fab, p, c, &d);

	if (t != want || d != want_dist)
		fprintf(stderr, "  %s -> %s: got %s %d, want %s %d\n", p, c,
			pdma_map_type_name(t), d, pdma_map_type_name(want),
			want_dist);
	CHECK_EQ_INT(t, want);
	CHECK_EQ_INT(d, want_dist);
}

int main(void)
{
	struct pdma_fabric *fab;

	/* Intel CPU, q35-like host bridge not on the list: no ACS anywhere. */
	fab = build(0, 0, 0, 6, PDMA_CPU_INTEL);
	check(fab, "03:00.0", "03:00.0", PDMA_MAP_BUS_ADDR, 0);	/* same fn */
	check(fab, "05:00.0", "05:00.1", PDMA_MAP_BUS_ADDR, 2);	/* same port */
	check(fab, "05:00.1", "05:00.0", PDMA_MAP_BUS_ADDR, 2);
	check(fab, "03:00.0", "04:00.0", PDMA_MAP_BUS_ADDR, 4);	/* switch */
	check(fab, "04:00.0", "03:00.0", PDMA_MAP_BUS_ADDR, 4);
	/* Different root ports: through the host bridge, not allowed. */
	check(fab, "03:00.0", "05:00.0", PDMA_MAP_NOT_SUPPORTED, -1);
	check(fab, "05:00.0", "06:00.0", PDMA_MAP_NOT_SUPPORTED, -1);
	/* A root-bus device has no upstream bridge at all. */
	check(fab, "00:08.0", "00:00.0", PDMA_MAP_NOT_SUPPORTED, -1);
	check(fab, "00:08.0", "00:08.0", PDMA_MAP_BUS_ADDR, 0);
	pdma_fabric_destroy(fab);

	/* AMD Zen: the same crossings are allowed, at the same distance. */
	fab = build(0, 0, 0, 0x17, PDMA_CPU_AMD);
	check(fab, "05:00.0", "06:00.0", PDMA_MAP_THRU_HOST_BRIDGE, 4);
	check(fab, "03:00.0", "05:00.0", PDMA_MAP_THRU_HOST_BRIDGE, 4 + 2);
	check(fab, "00:08.0", "00:00.0", PDMA_MAP_THRU_HOST_BRIDGE, 2);
	check(fab, "00:08.0", "03:00.0", PDMA_MAP_THRU_HOST_BRIDGE, 1 + 4);
	check(fab, "03:00.0", "04:00.0", PDMA_MAP_BUS_ADDR, 4);
	pdma_fabric_destroy(fab);

	/* AMD before Zen (family 0x15): not allowed. */
	fab = build(0, 0, 0, 0x15, PDMA_CPU_AMD);
	check(fab, "05:00.0", "06:00.0", PDMA_MAP_NOT_SUPPORTED, -1);
	pdma_fabric_destroy(fab);

	/* ACS redirect on the downstream port above the provider. */
	fab = build(0, 0, PDMA_ACS_RR, 0x17, PDMA_CPU_AMD);
	check(fab, "03:00.0", "04:00.0", PDMA_MAP_THRU_HOST_BRIDGE, 4);
	check(fab, "04:00.0", "03:00.0", PDMA_MAP_THRU_HOST_BRIDGE, 4);
	pdma_fabric_destroy(fab);

	/* ACS redirect on the common ancestor (the USP) counts too. */
	fab = build(0, PDMA_ACS_CR, 0, 6, PDMA_CPU_INTEL);
	check(fab, "03:00.0", "04:00.0", PDMA_MAP_NOT_SUPPORTED, -1);
	pdma_fabric_destroy(fab);

	/* Egress control alone is a redirect; SV/UF/TB are not. */
	fab = build(0, PDMA_ACS_EC, 0, 6, PDMA_CPU_INTEL);
	check(fab, "03:00.0", "04:00.0", PDMA_MAP_NOT_SUPPORTED, -1);
	pdma_fabric_destroy(fab);
	fab = build(PDMA_ACS_SV | PDMA_ACS_UF | PDMA_ACS_RR, PDMA_ACS_SV |
		    PDMA_ACS_TB | PDMA_ACS_UF | PDMA_ACS_DT, 0, 6,
		    PDMA_CPU_INTEL);
	/* ...and a redirect above the common ancestor changes nothing. */
	check(fab, "03:00.0", "04:00.0", PDMA_MAP_BUS_ADDR, 4);
	pdma_fabric_destroy(fab);

	return harness_exit();
}
