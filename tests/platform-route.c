/* SPDX-License-Identifier: MIT */
/*
 * Routing on a hand-built fabric with real BARs:
 *
 *   00:00.0 host bridge
 *   rp0 00:02.0 ── usp 01:00.0 ─┬─ dsp 02:00.0 ── 03:00.0 A (BAR0 1M, BAR2 16M pref)
 *                               └─ dsp 02:01.0 ── 04:00.0 B (BAR0 1M)
 *   rp1 00:03.0 ── 05:00.0 C (BAR0 1M)
 */
#include <errno.h>

#include "tb.h"

static struct pdma_fabric *build(uint16_t dsp0_acs, enum pdma_cpu_vendor v,
				 int family)
{
	struct tb t;
	struct pdma_func_info fi;
	int rp0, usp, d0, d1, rp1;

	tb_init(&t);
	t.pi.cpu_vendor = v;
	t.pi.cpu_family = family;
	tb_ep(&t, PDMA_NONE, 0, 0, 0, 0x060000);
	rp0 = tb_port(&t, PDMA_PCIE_ROOT_PORT, PDMA_NONE, 0, 2, 0, 1);
	usp = tb_port(&t, PDMA_PCIE_UPSTREAM, rp0, 1, 0, 0, 2);
	d0 = tb_acs_port(&t, PDMA_PCIE_DOWNSTREAM, usp, 2, 0, 0, 3, dsp0_acs);
	d1 = tb_port(&t, PDMA_PCIE_DOWNSTREAM, usp, 2, 1, 0, 4);
	rp1 = tb_port(&t, PDMA_PCIE_ROOT_PORT, PDMA_NONE, 0, 3, 0, 5);

	fi = tb_info(3, 0, 0);
	fi.class_code = 0x010802;
	fi.parent = d0;
	fi.bars[0] = (struct pdma_bar){ 0, 1 << 20, PDMA_BAR_MEM };
	fi.bars[2] = (struct pdma_bar){ 0, 16 << 20,
					PDMA_BAR_MEM | PDMA_BAR_64 | PDMA_BAR_PREFETCH };
	fi.link_cur = (struct pdma_link){ 4, 4 };
	tb_add(&t, &fi);
	fi = tb_info(4, 0, 0);
	fi.class_code = 0x030000;
	fi.parent = d1;
	fi.bars[0] = (struct pdma_bar){ 0, 1 << 20, PDMA_BAR_MEM };
	tb_add(&t, &fi);
	fi = tb_info(5, 0, 0);
	fi.class_code = 0x020000;
	fi.parent = rp1;
	fi.bars[0] = (struct pdma_bar){ 0, 1 << 20, PDMA_BAR_MEM };
	tb_add(&t, &fi);
	return tb_done(&t);
}

static struct pdma_platform *plat_of(struct pdma_fabric *fab, bool offsets)
{
	struct pdma_platform_opts o;
	struct pdma_platform *plat;
	struct pdma_error err;

	pdma_platform_opts_init(&o);
	o.bus_offsets = offsets;
	o.ram_bytes = 1 << 20;
	if (pdma_platform_create(fab, &o, &plat, &err)) {
		fprintf(stderr, "platform: %s\n", err.msg);
		exit(1);
	}
	return plat;
}

static void test_switch_p2p(bool offsets)
{
	struct pdma_fabric *fab = build(0, PDMA_CPU_INTEL, 6);
	struct pdma_platform *plat = plat_of(fab, offsets);
	int a = tb_idx(fab, "03:00.0"), b = tb_idx(fab, "04:00.0");
	int usp = tb_idx(fab, "01:00.0"), dsp0 = tb_idx(fab, "02:00.0");
	struct pdma_bar_map bar;
	struct pdma_platform_stats st;
	struct pdma_route r;
	char buf[4096], back[4096];

	REQUIRE(pdma_platform_bar(plat, a, 2, &bar) == 0);
	CHECK_EQ_INT(bar.size, 16 << 20);
	CHECK_EQ_INT(bar.cpu_addr % bar.size, 0);
	if (offsets)
		CHECK(bar.bus_addr != bar.cpu_addr);
	else
		CHECK_EQ_INT(bar.bus_addr, bar.cpu_addr);
	CHECK_EQ_INT(pdma_platform_bar(plat, a, 1, &bar), -ENOENT);
	REQUIRE(pdma_platform_bar(plat, a, 2, &bar) == 0);

	/* B writes into A's BAR at its bus address: it turns at the USP. */
	CHECK_EQ_INT(pdma_platform_resolve(plat, b, bar.bus_addr + 4096, 4096,
					   true, &r), 0);
	CHECK_EQ_INT(r.status, PDMA_TLP_OK);
	CHECK_EQ_INT(r.kind, PDMA_TARGET_BAR);
	CHECK_EQ_INT(r.func, a);
	CHECK_EQ_INT(r.bar, 2);
	CHECK_EQ_INT(r.offset, 4096);
	CHECK_EQ_INT(r.turn, usp);
	CHECK(!r.via_host_bridge);
	CHECK_EQ_INT(r.nr_hops, 5);	/* B, DSP1, USP, DSP0, A */

	for (int i = 0; i < 4096; i++)
		buf[i] = (char)(i * 7);
	CHECK_EQ_INT(pdma_fabric_dma(plat, b, bar.bus_addr + 4096, buf, 4096,
				     PDMA_DMA_WRITE), 0);
	CHECK(!memcmp((char *)bar.mem + 4096, buf, 4096));
	CHECK_EQ_INT(pdma_fabric_dma(plat, b, bar.bus_addr + 4096, back, 4096,
				     PDMA_DMA_READ), 0);
	CHECK(!memcmp(back, buf, 4096));
	pdma_platform_stats(plat, &st);
	CHECK_EQ_INT(st.switch_p2p_bytes, 8192);
	CHECK_EQ_INT(st.ram_bytes, 0);
	CHECK_EQ_INT(st.host_bridge_p2p_bytes, 0);
	/* Write: up B's link, down A's; read: the other way. */
	CHECK_EQ_INT(pdma_platform_link_bytes(plat, b, PDMA_LINK_UP), 4096);
	CHECK_EQ_INT(pdma_platform_link_bytes(plat, b, PDMA_LINK_DOWN), 4096);
	CHECK_EQ_INT(pdma_platform_link_bytes(plat, dsp0, PDMA_LINK_DOWN), 4096);
	CHECK_EQ_INT(pdma_platform_link_bytes(plat, usp, PDMA_LINK_UP), 0);

	/* Past the end of the BAR: an error, recorded, nothing moved. */
	CHECK_EQ_INT(pdma_fabric_dma(plat, b, bar.bus_addr + bar.size - 100,
				     buf, 4096, PDMA_DMA_WRITE), -ERANGE);
	CHECK(pdma_platform_fault_count(plat) == 1);
	{
		struct pdma_fault f;

		REQUIRE(pdma_platform_fault_get(plat, 0, &f) == 0);
		CHECK_EQ_INT(f.status, PDMA_TLP_BEYOND_BAR);
		CHECK(strstr(f.text, "0000:04:00.0") != NULL);
	}
	/* RAM through the root complex. */
	{
		uint64_t phys, size;
		void *ram;

		pdma_platform_ram(plat, &phys, &size, &ram, NULL);
		CHECK_EQ_INT(pdma_fabric_dma(plat, a, phys + 64, buf, 100,
					     PDMA_DMA_WRITE), 0);
		CHECK(!memcmp((char *)ram + 64, buf, 100));
		CHECK_EQ_INT(pdma_platform_link_bytes(plat, usp, PDMA_LINK_UP), 100);
		/* An address nobody claims. */
		CHECK_EQ_INT(pdma_fabric_dma(plat, a, phys + size + (1ULL << 30),
					     buf, 64, PDMA_DMA_WRITE), -EREMOTEIO);
	}
	/* Across root ports on an Intel q35-like box: blocked at the host. */
	{
		int c = tb_idx(fab, "05:00.0");

		CHECK_EQ_INT(pdma_fabric_dma(plat, c, bar.cpu_addr, buf, 64,
					     PDMA_DMA_WRITE), -EREMOTEIO);
		CHECK_EQ_INT(pdma_platform_resolve(plat, c, bar.cpu_addr, 64,
						   true, &r), 0);
		CHECK_EQ_INT(r.status, PDMA_TLP_P2P_BLOCKED);
	}
	pdma_platform_destroy(plat);
	pdma_fabric_destroy(fab);
}

static void test_acs_and_amd(void)
{
	struct pdma_fabric *fab = build(PDMA_ACS_RR, PDMA_CPU_AMD, 0x17);
	struct pdma_platform *plat = plat_of(fab, false);
	int a = tb_idx(fab, "03:00.0"), b = tb_idx(fab, "04:00.0");
	int c = tb_idx(fab, "05:00.0");
	struct pdma_bar_map bar;
	struct pdma_route r;
	char buf[256];

	memset(buf, 0x5a, sizeof(buf));
	REQUIRE(pdma_platform_bar(plat, a, 0, &bar) == 0);
	/* ACS RR on A's DSP: redirected up, then routed by the root complex. */
	CHECK_EQ_INT(pdma_platform_resolve(plat, b, bar.bus_addr, 256, true, &r), 0);
	CHECK_EQ_INT(r.status, PDMA_TLP_OK);
	CHECK(r.redirected);
	CHECK(r.via_host_bridge);
	CHECK_EQ_INT(r.func, a);
	CHECK_EQ_INT(pdma_fabric_dma(plat, c, bar.cpu_addr, buf, 256,
				     PDMA_DMA_WRITE), 0);
	CHECK(!memcmp(bar.mem, buf, 256));
	{
		struct pdma_platform_stats st;

		pdma_platform_stats(plat, &st);
		CHECK_EQ_INT(st.host_bridge_p2p_bytes, 256);
	}
	pdma_platform_destroy(plat);
	pdma_fabric_destroy(fab);
}

static int revoked;
static int guard_calls, guard_released;

static int guard_begin(void *ctx, uint64_t off, uint64_t len, void **cookie)
{
	(void)ctx;
	(void)off;
	(void)len;
	*cookie = &guard_calls;
	return revoked ? -ENODEV : 0;
}

static void guard_end(void *ctx, void *cookie)
{
	(void)ctx;
	if (cookie == &guard_calls)
		guard_calls++;
}

static void guard_release(void *ctx)
{
	(void)ctx;
	guard_released++;
}

static void test_guard(void)
{
	struct pdma_fabric *fab = build(0, PDMA_CPU_INTEL, 6);
	struct pdma_platform *plat = plat_of(fab, false);
	int a = tb_idx(fab, "03:00.0"), b = tb_idx(fab, "04:00.0");
	struct pdma_bar_guard g = { guard_begin, guard_end, guard_release, NULL };
	struct pdma_bar_map bar;
	char buf[64] = { 1 };

	REQUIRE(pdma_platform_bar(plat, a, 2, &bar) == 0);
	CHECK_EQ_INT(pdma_platform_set_bar_guard(plat, a, 2, &g), 0);
	CHECK_EQ_INT(pdma_fabric_dma(plat, b, bar.bus_addr, buf, 64,
				     PDMA_DMA_WRITE), 0);
	CHECK_EQ_INT(guard_calls, 1);	/* end saw begin's cookie */
	revoked = 1;
	CHECK_EQ_INT(pdma_fabric_dma(plat, b, bar.bus_addr, buf, 64,
				     PDMA_DMA_WRITE), -ENODEV);
	CHECK_EQ_INT(guard_calls, 1);	/* a refused begin has no end */
	CHECK_EQ_INT(pdma_platform_set_bar_guard(plat, a, 4, &g), -ENOENT);
	/* Device-to-device copy: A's BAR0 into its BAR2, by B's engine. */
	revoked = 0;
	{
		struct pdma_bar_map b0;

		REQUIRE(pdma_platform_bar(plat, a, 0, &b0) == 0);
		memset(b0.mem, 0x77, 512);
		CHECK_EQ_INT(pdma_fabric_copy(plat, b, bar.bus_addr + 1024,
					      b0.bus_addr, 512), 0);
		CHECK(((unsigned char *)bar.mem)[1024 + 511] == 0x77);
	}
	/* Replacing a guard releases the old one; so does destroy. */
	CHECK_EQ_INT(pdma_platform_set_bar_guard(plat, a, 2, &g), 0);
	CHECK_EQ_INT(guard_released, 1);
	pdma_platform_destroy(plat);
	CHECK_EQ_INT(guard_released, 2);
	pdma_fabric_destroy(fab);
}

int main(void)
{
	test_switch_p2p(false);
	test_switch_p2p(true);
	test_acs_and_amd();
	test_guard();
	return harness_exit();
}
