/* SPDX-License-Identifier: MIT */
/*
 * pdma_verdict_explain(): the route (hops), its NCCL-style class, the
 * narrowest link, the reasons with their rules and nodes, and the fix.
 *
 *   pci0000:00 (NUMA 0), root device 00:00.0 Ice Lake VT-d 8086:09a2
 *     00:01.0 rp0 g4x16 ── 01:00.0 usp ─┬─ 02:00.0 dsp g4x16 ── 03:00.0 GPU g4x16
 *                                       ├─ 02:01.0 dsp g3x4 ─── 04:00.0 NVMe g3x4 (max g4x4)
 *                                       └─ 02:02.0 dsp ── 05:00.0 usp ── 06:00.0 dsp ── 07:00.0 NIC
 *     00:02.0 rp1 g4x8 ── 08:00.0 NIC g4x8 (max x16)
 *     00:03.0 rp2 ── 09:00.0 + 09:00.1 (one device, two functions)
 *   pci0000:40 (NUMA 0): 40:00.0 VT-d, 40:01.0 rp ── 41:00.0 GPU
 *   pci0000:80 (NUMA 1): 80:00.0 VT-d, 80:01.0 rp ── 81:00.0 GPU
 */
#include <errno.h>
#include <math.h>

#include "tb.h"

static int port(struct tb *t, int type, int parent, uint8_t bus, uint8_t dev,
		uint8_t sec, int gen, int width, int numa)
{
	struct pdma_func_info fi = tb_info(bus, dev, 0);

	fi.header_type = 1;
	fi.class_code = 0x060400;
	fi.pcie_type = type;
	fi.secondary_bus = fi.subordinate_bus = sec;
	fi.parent = parent;
	fi.link_cur.gen = fi.link_max.gen = gen;
	fi.link_cur.width = fi.link_max.width = width;
	fi.numa_node = numa;
	return tb_add(t, &fi);
}

static int dev(struct tb *t, int parent, uint8_t bus, uint8_t fn,
	       uint32_t cls, int gen, int width, int max_gen, int max_width,
	       int numa)
{
	struct pdma_func_info fi = tb_info(bus, 0, fn);

	fi.class_code = cls;
	fi.parent = parent;
	fi.link_cur.gen = gen;
	fi.link_cur.width = width;
	fi.link_max.gen = max_gen;
	fi.link_max.width = max_width;
	fi.numa_node = numa;
	fi.multifunction = bus == 9;
	fi.iommu_group = bus;
	return tb_add(t, &fi);
}

static void root_dev(struct tb *t, uint8_t bus, uint16_t did, int numa)
{
	struct pdma_func_info fi = tb_info(bus, 0, 0);

	fi.vendor = 0x8086;
	fi.device = did;
	fi.class_code = 0x088000;
	fi.pcie_type = PDMA_PCIE_RC_INTEGRATED;
	fi.numa_node = numa;
	tb_add(t, &fi);
}

static struct pdma_fabric *build(uint16_t root, bool dsp0_acs_unknown)
{
	struct pdma_func_info fi;
	struct tb t;
	int rp, usp, d, usp2, rp1, rp2, r;

	tb_init(&t);
	root_dev(&t, 0x00, root, 0);
	rp = port(&t, PDMA_PCIE_ROOT_PORT, PDMA_NONE, 0, 1, 1, 4, 16, 0);
	usp = port(&t, PDMA_PCIE_UPSTREAM, rp, 1, 0, 2, 4, 16, 0);
	fi = tb_info(2, 0, 0);
	fi.header_type = 1;
	fi.class_code = 0x060400;
	fi.pcie_type = PDMA_PCIE_DOWNSTREAM;
	fi.secondary_bus = fi.subordinate_bus = 3;
	fi.parent = usp;
	fi.link_cur.gen = fi.link_max.gen = 4;
	fi.link_cur.width = fi.link_max.width = 16;
	fi.acs_known = !dsp0_acs_unknown;
	fi.numa_node = 0;
	d = tb_add(&t, &fi);
	dev(&t, d, 3, 0, 0x030200, 4, 16, 4, 16, 0);
	d = port(&t, PDMA_PCIE_DOWNSTREAM, usp, 2, 1, 4, 3, 4, 0);
	dev(&t, d, 4, 0, 0x010802, 3, 4, 4, 4, 0);
	d = port(&t, PDMA_PCIE_DOWNSTREAM, usp, 2, 2, 5, 4, 16, 0);
	usp2 = port(&t, PDMA_PCIE_UPSTREAM, d, 5, 0, 6, 4, 16, 0);
	d = port(&t, PDMA_PCIE_DOWNSTREAM, usp2, 6, 0, 7, 4, 16, 0);
	dev(&t, d, 7, 0, 0x020700, 4, 16, 4, 16, 0);
	rp1 = port(&t, PDMA_PCIE_ROOT_PORT, PDMA_NONE, 0, 2, 8, 4, 8, 0);
	dev(&t, rp1, 8, 0, 0x020700, 4, 8, 4, 16, 0);
	rp2 = port(&t, PDMA_PCIE_ROOT_PORT, PDMA_NONE, 0, 3, 9, 4, 16, 0);
	dev(&t, rp2, 9, 0, 0x010802, 4, 16, 4, 16, 0);
	dev(&t, rp2, 9, 1, 0x010802, 4, 16, 4, 16, 0);
	for (int k = 1; k <= 2; k++) {
		uint8_t b = (uint8_t)(0x40 * k);

		root_dev(&t, b, root, k - 1);
		r = port(&t, PDMA_PCIE_ROOT_PORT, PDMA_NONE, b, 1, b + 1, 4, 16,
			 k - 1);
		dev(&t, r, b + 1, 0, 0x030200, 4, 16, 4, 16, k - 1);
	}
	return tb_done(&t);
}

static int idx(struct pdma_fabric *fab, const char *bdf)
{
	return tb_idx(fab, bdf);
}

static void explain(struct pdma_fabric *fab, const char *p, const char *c,
		    struct pdma_verdict *v)
{
	int d;

	REQUIRE(pdma_verdict_explain(fab, idx(fab, p), idx(fab, c), v) == 0);
	/* The same answer as the cached map type. */
	CHECK_EQ_INT(v->map_type,
		     pdma_verdict_map_type(fab, idx(fab, p), idx(fab, c), &d));
	CHECK_EQ_INT(v->distance, d);
	CHECK(v->nr_reasons <= PDMA_MAX_REASONS);
}

/* The route as "03:00.0 02:00.0 hb0 ..." for comparison. */
static const char *route(struct pdma_fabric *fab, const struct pdma_verdict *v)
{
	static char buf[512];
	size_t len = 0;

	buf[0] = '\0';
	for (int i = 0; i < v->nr_hops && len < sizeof(buf); i++) {
		const struct pdma_hop *h = &v->hops[i];

		if (h->is_host_bridge)
			len += (size_t)snprintf(buf + len, sizeof(buf) - len,
						"%shb%d", i ? " " : "", h->idx);
		else
			len += (size_t)snprintf(buf + len, sizeof(buf) - len,
						"%s%02x:%02x.%x", i ? " " : "",
						pdma_fabric_func(fab, h->idx)->bus,
						pdma_fabric_func(fab, h->idx)->dev,
						pdma_fabric_func(fab, h->idx)->fn);
	}
	return buf;
}

static int rule_at(const struct pdma_verdict *v, enum pdma_rule r)
{
	for (int i = 0; i < v->nr_reasons; i++)
		if (v->reasons[i].rule == r)
			return i;
	return -1;
}

static bool near(double a, double b)
{
	return fabs(a - b) < 0.01;
}

static void local_routes(void)
{
	struct pdma_fabric *fab = build(0x09a2, false);
	struct pdma_verdict v;

	CHECK(near(pdma_link_gbytes((struct pdma_link){ 4, 16 }), 31.51));
	CHECK(near(pdma_link_gbytes((struct pdma_link){ 3, 4 }), 3.94));
	CHECK(near(pdma_link_gbytes((struct pdma_link){ 2, 1 }), 0.5));

	/* The same function. */
	explain(fab, "03:00.0", "03:00.0", &v);
	CHECK_EQ_INT(v.path_class, PDMA_PATH_X);
	CHECK_STR(route(fab, &v), "03:00.0");
	CHECK_EQ_INT(v.bottleneck_link, PDMA_NONE);
	CHECK_EQ_INT(v.nr_reasons, 0);
	CHECK_STR(v.fix, "");
	pdma_verdict_release(&v);

	/* One switch: up to the upstream port and down; gen3 x4 is narrowest. */
	explain(fab, "03:00.0", "04:00.0", &v);
	CHECK_EQ_INT(v.map_type, PDMA_MAP_BUS_ADDR);
	CHECK_EQ_INT(v.distance, 4);
	CHECK_STR(route(fab, &v), "03:00.0 02:00.0 01:00.0 02:01.0 04:00.0");
	CHECK_EQ_INT(v.ancestor, idx(fab, "01:00.0"));
	CHECK_EQ_INT(v.path_class, PDMA_PATH_PIX);
	CHECK(near(v.bottleneck_gbps, 3.94));
	CHECK_EQ_INT(v.bottleneck_link, idx(fab, "04:00.0"));
	CHECK_EQ_INT(v.nr_reasons, 0);
	CHECK_STR(v.fix, "");
	pdma_verdict_release(&v);

	/* Two switches deep: PXB, at gen4 x16. */
	explain(fab, "07:00.0", "03:00.0", &v);
	CHECK_EQ_INT(v.distance, 6);
	CHECK_STR(route(fab, &v),
		  "07:00.0 06:00.0 05:00.0 02:02.0 01:00.0 02:00.0 03:00.0");
	CHECK_EQ_INT(v.path_class, PDMA_PATH_PXB);
	CHECK(near(v.bottleneck_gbps, 31.51));
	pdma_verdict_release(&v);

	/* Two functions of one device turn at their root port. */
	explain(fab, "09:00.1", "09:00.0", &v);
	CHECK_EQ_INT(v.distance, 2);
	CHECK_STR(route(fab, &v), "09:00.1 00:03.0 09:00.0");
	CHECK_EQ_INT(v.path_class, PDMA_PATH_PIX);
	pdma_verdict_release(&v);
	pdma_fabric_destroy(fab);
}

static void host_routes(void)
{
	struct pdma_fabric *fab = build(0x09a2, false);
	struct pdma_verdict v;
	int at;

	CHECK_EQ_INT(pdma_fabric_set_iommu_group_type(fab, 8, PDMA_IOMMU_DMA), 0);

	/* Across root ports of one host bridge: PHB; the x8 link is narrowest. */
	explain(fab, "03:00.0", "08:00.0", &v);
	CHECK_EQ_INT(v.map_type, PDMA_MAP_THRU_HOST_BRIDGE);
	CHECK_EQ_INT(v.distance, 4 + 2);
	CHECK_EQ_INT(v.ancestor, PDMA_NONE);
	CHECK_STR(route(fab, &v),
		  "03:00.0 02:00.0 01:00.0 00:01.0 hb0 00:02.0 08:00.0");
	CHECK_EQ_INT(v.path_class, PDMA_PATH_PHB);
	CHECK(near(v.bottleneck_gbps, 15.75));
	CHECK_EQ_INT(v.bottleneck_link, idx(fab, "08:00.0"));
	at = rule_at(&v, PDMA_RULE_NO_COMMON_BRIDGE);
	CHECK_EQ_INT(at, 0);
	CHECK(at < 0 || v.reasons[at].host_bridge == 0);
	CHECK(rule_at(&v, PDMA_RULE_CPU_NOT_AMD) > at);
	at = rule_at(&v, PDMA_RULE_HB_ALLOWED);
	CHECK(at > 0 && v.reasons[at].host_bridge == 0);
	CHECK(at >= 0 && strstr(v.reasons[at].text, "8086:09a2") != NULL);
	at = rule_at(&v, PDMA_RULE_IOMMU_TRANSLATES);
	CHECK_EQ_INT(at, v.nr_reasons - 1);
	CHECK(at >= 0 && v.reasons[at].func == idx(fab, "08:00.0"));
	CHECK(strstr(v.fix, "switch") != NULL);
	pdma_verdict_release(&v);

	/* The reverse has no IOMMU reason: the GPU's group is not translated. */
	explain(fab, "08:00.0", "03:00.0", &v);
	CHECK_EQ_INT(rule_at(&v, PDMA_RULE_IOMMU_TRANSLATES), -1);
	CHECK_STR(route(fab, &v),
		  "08:00.0 00:02.0 hb0 00:01.0 01:00.0 02:00.0 03:00.0");
	pdma_verdict_release(&v);

	/* Between host bridges of one NUMA node, and between nodes. */
	explain(fab, "03:00.0", "41:00.0", &v);
	CHECK_STR(route(fab, &v),
		  "03:00.0 02:00.0 01:00.0 00:01.0 hb0 hb1 40:01.0 41:00.0");
	CHECK_EQ_INT(v.path_class, PDMA_PATH_NODE);
	CHECK_EQ_INT(v.distance, 4 + 2);
	pdma_verdict_release(&v);
	explain(fab, "81:00.0", "09:00.0", &v);
	CHECK_STR(route(fab, &v), "81:00.0 80:01.0 hb2 hb0 00:03.0 09:00.0");
	CHECK_EQ_INT(v.path_class, PDMA_PATH_SYS);
	pdma_verdict_release(&v);
	/* The root device itself, with no bridge above it. */
	explain(fab, "00:00.0", "41:00.0", &v);
	CHECK_STR(route(fab, &v), "00:00.0 hb0 hb1 40:01.0 41:00.0");
	CHECK_EQ_INT(v.distance, 1 + 2);
	pdma_verdict_release(&v);
	pdma_fabric_destroy(fab);
}

static void rejected_and_acs(void)
{
	struct pdma_fabric *fab = build(0x29c0, false);
	struct pdma_verdict v;
	char b[16];
	int at;

	/* q35-style root device: not on the list. */
	explain(fab, "03:00.0", "08:00.0", &v);
	CHECK_EQ_INT(v.map_type, PDMA_MAP_NOT_SUPPORTED);
	CHECK_EQ_INT(v.distance, -1);
	CHECK_EQ_INT(v.raw_distance, 6);
	CHECK_EQ_INT(v.path_class, PDMA_PATH_PHB);
	at = rule_at(&v, PDMA_RULE_HB_NOT_LISTED);
	CHECK(at >= 0 && v.reasons[at].func == idx(fab, "00:00.0"));
	CHECK(at >= 0 && strstr(v.reasons[at].text, "8086:29c0") != NULL);
	CHECK(strstr(v.fix, "not allowed") != NULL);
	pdma_verdict_release(&v);

	/* ACS redirect on the turning point: the reason says so. */
	CHECK_EQ_INT(pdma_fabric_set_acs_ctrl(fab, idx(fab, "01:00.0"),
					      PDMA_ACS_RR), -ENODEV);
	pdma_fabric_destroy(fab);
	{
		struct tb t;
		int rp, usp, d0, d1;

		tb_init(&t);
		t.pi.cpu_vendor = PDMA_CPU_AMD;
		t.pi.cpu_family = 0x17;
		rp = tb_port(&t, PDMA_PCIE_ROOT_PORT, PDMA_NONE, 0, 1, 0, 1);
		usp = tb_acs_port(&t, PDMA_PCIE_UPSTREAM, rp, 1, 0, 0, 2,
				  PDMA_ACS_CR | PDMA_ACS_EC);
		d0 = tb_acs_port(&t, PDMA_PCIE_DOWNSTREAM, usp, 2, 0, 0, 3,
				 PDMA_ACS_RR | PDMA_ACS_SV);
		d1 = tb_port(&t, PDMA_PCIE_DOWNSTREAM, usp, 2, 1, 0, 4);
		tb_ep(&t, d0, 3, 0, 0, 0x030200);
		tb_ep(&t, d1, 4, 0, 0, 0x020700);
		fab = tb_done(&t);
	}
	explain(fab, "03:00.0", "04:00.0", &v);
	CHECK_EQ_INT(v.map_type, PDMA_MAP_THRU_HOST_BRIDGE);
	CHECK_EQ_INT(v.distance, 4);
	CHECK_EQ_INT(v.ancestor, idx(fab, "01:00.0"));
	CHECK_EQ_INT(v.path_class, PDMA_PATH_PHB);
	CHECK_STR(route(fab, &v),
		  "03:00.0 02:00.0 01:00.0 00:01.0 hb0 00:01.0 01:00.0 02:01.0 04:00.0");
	CHECK_EQ_INT(v.reasons[0].rule, PDMA_RULE_ACS_REDIRECT);
	CHECK_EQ_INT(v.reasons[0].func, idx(fab, "02:00.0"));
	CHECK(strstr(v.reasons[0].text, "(RR)") != NULL);
	CHECK(strstr(v.reasons[0].text, "passes") != NULL);
	CHECK_EQ_INT(v.reasons[1].rule, PDMA_RULE_ACS_REDIRECT);
	CHECK_EQ_INT(v.reasons[1].func, idx(fab, "01:00.0"));
	CHECK(strstr(v.reasons[1].text, "(CR EC)") != NULL);
	CHECK(strstr(v.reasons[1].text, "turns around") != NULL);
	CHECK(rule_at(&v, PDMA_RULE_CPU_ALLOWS) == 2);
	CHECK_STR(v.fix, "boot with pci=disable_acs_redir=0000:02:00.0;0000:01:00.0 to get BUS_ADDR (it merges IOMMU groups: less isolation)");
	CHECK(strstr(v.reasons[0].text, pdma_bdf_format(
		      pdma_fabric_func(fab, idx(fab, "02:00.0")), b, 16)));
	pdma_verdict_release(&v);
	pdma_fabric_destroy(fab);
}

static void acs_unknown_and_errors(void)
{
	struct pdma_fabric *fab = build(0x09a2, true);
	struct pdma_verdict v;

	/* An unreadable ACS on the path: BUS_ADDR, with a caveat. */
	explain(fab, "03:00.0", "04:00.0", &v);
	CHECK_EQ_INT(v.map_type, PDMA_MAP_BUS_ADDR);
	CHECK_EQ_INT(v.nr_reasons, 1);
	CHECK_EQ_INT(v.reasons[0].rule, PDMA_RULE_ACS_UNKNOWN);
	CHECK_EQ_INT(v.reasons[0].func, idx(fab, "02:00.0"));
	pdma_verdict_release(&v);
	/* Not on the path: no caveat. */
	explain(fab, "07:00.0", "04:00.0", &v);
	CHECK_EQ_INT(v.nr_reasons, 0);
	pdma_verdict_release(&v);

	CHECK_EQ_INT(pdma_verdict_explain(fab, idx(fab, "02:00.0"),
					  idx(fab, "03:00.0"), &v), -EINVAL);
	CHECK(v.hops == NULL);
	CHECK_EQ_INT(pdma_verdict_explain(fab, 0, 1000, &v), -EINVAL);
	CHECK_EQ_INT(pdma_verdict_explain(fab, -1, 0, &v), -EINVAL);
	pdma_verdict_release(&v);
	pdma_verdict_release(NULL);

	/* Every pair: a route from provider to client, one link at a time. */
	for (int p = 0; p < pdma_fabric_nr_funcs(fab); p++)
		for (int c = 0; c < pdma_fabric_nr_funcs(fab); c++) {
			const struct pdma_func_info *fp = pdma_fabric_func(fab, p);

			if (pdma_fabric_is_bridge(fp) ||
			    pdma_fabric_is_bridge(pdma_fabric_func(fab, c)))
				continue;
			REQUIRE(pdma_verdict_explain(fab, p, c, &v) == 0);
			CHECK(v.nr_hops >= 1 && v.hops[0].idx == p &&
			      v.hops[v.nr_hops - 1].idx == c);
			for (int h = 1; h < v.nr_hops; h++) {
				const struct pdma_hop *a = &v.hops[h - 1];
				const struct pdma_hop *b = &v.hops[h];
				bool linked = a->is_host_bridge || b->is_host_bridge ||
					      pdma_fabric_func(fab, a->idx)->parent == b->idx ||
					      pdma_fabric_func(fab, b->idx)->parent == a->idx;

				CHECK(linked);
			}
			pdma_verdict_release(&v);
		}
	pdma_fabric_destroy(fab);
}

static void names(void)
{
	CHECK_STR(pdma_map_type_name(PDMA_MAP_BUS_ADDR), "BUS_ADDR");
	CHECK_STR(pdma_map_type_name(PDMA_MAP_THRU_HOST_BRIDGE),
		  "THRU_HOST_BRIDGE");
	CHECK_STR(pdma_map_type_name(PDMA_MAP_NOT_SUPPORTED), "NOT_SUPPORTED");
	CHECK_STR(pdma_path_class_name(PDMA_PATH_X), "X");
	CHECK_STR(pdma_path_class_name(PDMA_PATH_PIX), "PIX");
	CHECK_STR(pdma_path_class_name(PDMA_PATH_PXB), "PXB");
	CHECK_STR(pdma_path_class_name(PDMA_PATH_PHB), "PHB");
	CHECK_STR(pdma_path_class_name(PDMA_PATH_NODE), "NODE");
	CHECK_STR(pdma_path_class_name(PDMA_PATH_SYS), "SYS");
	for (int r = PDMA_RULE_ACS_REDIRECT; r <= PDMA_RULE_IOMMU_TRANSLATES; r++) {
		CHECK(strcmp(pdma_rule_name(r), "?"));
		for (int s = r + 1; s <= PDMA_RULE_IOMMU_TRANSLATES; s++)
			CHECK(strcmp(pdma_rule_name(r), pdma_rule_name(s)));
	}
}

int main(void)
{
	local_routes();
	host_routes();
	rejected_and_acs();
	acs_unknown_and_errors();
	names();
	return harness_exit();
}
