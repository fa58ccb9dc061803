/* SPDX-License-Identifier: MIT */
/*
 * When may a pair cross the root complex?  The host-bridge allow-list of
 * reference 1.5 and the CPU rule of 1.4 step 4, one rule at a time.
 *
 * Every fabric here is made of root buses laid out alike:
 *
 *   BB:00.0 (or BB:01.0)  the root device, by "kind" below
 *   BB:02.0 root port -> (BB+1):00.0 NVMe
 *   BB:03.0 root port -> (BB+2):00.0 NVMe
 *
 * so that the two NVMe drives of one root bus share no upstream bridge
 * (distance 2 + 2) and every pair crosses a host bridge.
 */
#include "tb.h"

#include "fabric/verdict_internal.h"

enum root_kind {
	R_HB00,		/* host-bridge function (class 0600) at 00.0 */
	R_RCIEP00,	/* system peripheral RCiEP (class 0880) at 00.0 */
	R_RP00,		/* a root port at 00.0 carries the id */
	R_RP_FIRST,	/* no 00.0: the first function is a root port */
	R_EP_FIRST,	/* no 00.0: the first function is an RCiEP */
};

static int root_port(struct tb *t, uint8_t bus, uint8_t dev, uint8_t sec,
		     uint16_t vid, uint16_t did)
{
	struct pdma_func_info fi = tb_info(bus, dev, 0);

	fi.vendor = vid;
	fi.device = did;
	fi.header_type = 1;
	fi.class_code = 0x060400;
	fi.pcie_type = PDMA_PCIE_ROOT_PORT;
	fi.secondary_bus = fi.subordinate_bus = sec;
	return tb_add(t, &fi);
}

static void add_root(struct tb *t, uint8_t bus, enum root_kind kind,
		     uint16_t vid, uint16_t did)
{
	struct pdma_func_info fi;
	int rp;

	switch (kind) {
	case R_HB00:
	case R_RCIEP00:
	case R_EP_FIRST:
		fi = tb_info(bus, kind == R_EP_FIRST ? 1 : 0, 0);
		fi.vendor = vid;
		fi.device = did;
		fi.class_code = kind == R_HB00 ? 0x060000 : 0x088000;
		fi.pcie_type = kind == R_HB00 ? PDMA_PCIE_NONE :
						PDMA_PCIE_RC_INTEGRATED;
		tb_add(t, &fi);
		break;
	case R_RP00:
		rp = root_port(t, bus, 0, bus + 3, vid, did);
		tb_ep(t, rp, bus + 3, 0, 0, 0x010802);
		break;
	case R_RP_FIRST:
		rp = root_port(t, bus, 1, bus + 3, vid, did);
		tb_ep(t, rp, bus + 3, 0, 0, 0x010802);
		break;
	}
	/* Root ports with an id on no list. */
	rp = root_port(t, bus, 2, bus + 1, 0x1b36, 0x000c);
	tb_ep(t, rp, bus + 1, 0, 0, 0x010802);
	rp = root_port(t, bus, 3, bus + 2, 0x1b36, 0x000c);
	tb_ep(t, rp, bus + 2, 0, 0, 0x010802);
}

static int ep(struct pdma_fabric *fab, unsigned bus)
{
	char bdf[16];

	snprintf(bdf, sizeof(bdf), "%02x:00.0", bus);
	return tb_idx(fab, bdf);
}

static bool has_rule(const struct pdma_verdict *v, enum pdma_rule r, int hb)
{
	for (int i = 0; i < v->nr_reasons; i++)
		if (v->reasons[i].rule == r &&
		    (hb == PDMA_NONE || v->reasons[i].host_bridge == hb))
			return true;
	return false;
}

/* The pair's type and distance, from the cache and from the reference. */
static enum pdma_map_type pair(struct pdma_fabric *fab, unsigned pbus,
			       unsigned cbus, int *dist)
{
	int p = ep(fab, pbus), c = ep(fab, cbus), d, rd;
	enum pdma_map_type t = pdma_verdict_map_type(fab, p, c, &d);
	enum pdma_map_type rt = pdma__kernel_calc(fab, p, c, &rd, NULL);

	CHECK_EQ_INT(t, rt);
	if (rt != PDMA_MAP_NOT_SUPPORTED)
		CHECK_EQ_INT(d, rd);
	*dist = d;
	return t;
}

static void expect(struct pdma_fabric *fab, unsigned pbus, unsigned cbus,
		   enum pdma_map_type want, int want_dist, int line)
{
	int d;
	enum pdma_map_type t = pair(fab, pbus, cbus, &d);

	if (t != want || d != want_dist)
		fprintf(stderr, "line %d: %02x:00.0 -> %02x:00.0: got %s %d, want %s %d\n",
			line, pbus, cbus, pdma_map_type_name(t), d,
			pdma_map_type_name(want), want_dist);
	CHECK_EQ_INT(t, want);
	CHECK_EQ_INT(d, want_dist);
}

#define EXPECT(f, p, c, t, d) expect(f, p, c, t, d, __LINE__)
#define THB PDMA_MAP_THRU_HOST_BRIDGE
#define NOPE PDMA_MAP_NOT_SUPPORTED

static struct pdma_fabric *one(enum root_kind kind, uint16_t vid,
			       uint16_t did)
{
	struct tb t;

	tb_init(&t);
	add_root(&t, 0x00, kind, vid, did);
	return tb_done(&t);
}

static struct pdma_fabric *two(enum root_kind k0, uint16_t v0, uint16_t d0,
			       enum root_kind k1, uint16_t v1, uint16_t d1)
{
	struct tb t;

	tb_init(&t);
	add_root(&t, 0x00, k0, v0, d0);
	add_root(&t, 0x80, k1, v1, d1);
	return tb_done(&t);
}

/* Allowed root devices of one host bridge. */
static void same_bridge(void)
{
	static const uint16_t skx_rp[] = { 0x2030, 0x2031, 0x2032, 0x2033 };
	struct pdma_fabric *fab;
	struct pdma_verdict v;

	for (unsigned i = 0; i < 4; i++) {
		fab = one(R_RP00, 0x8086, skx_rp[i]);
		EXPECT(fab, 0x01, 0x02, THB, 4);
		EXPECT(fab, 0x02, 0x03, THB, 4);
		pdma_fabric_destroy(fab);
	}
	fab = one(R_RCIEP00, 0x8086, 0x09a2);
	EXPECT(fab, 0x01, 0x02, THB, 4);
	/* The root device itself (depth 0) through its own host bridge. */
	CHECK_EQ_INT(pdma_verdict_map_type(fab, tb_idx(fab, "00:00.0"),
					   ep(fab, 1), NULL), THB);
	REQUIRE(pdma_verdict_explain(fab, ep(fab, 1), ep(fab, 2), &v) == 0);
	CHECK(has_rule(&v, PDMA_RULE_CPU_NOT_AMD, PDMA_NONE));
	CHECK(has_rule(&v, PDMA_RULE_HB_ALLOWED, 0));
	CHECK_EQ_INT(v.path_class, PDMA_PATH_PHB);
	pdma_verdict_release(&v);
	pdma_fabric_destroy(fab);

	fab = one(R_HB00, 0x8086, 0x2020);
	EXPECT(fab, 0x01, 0x02, THB, 4);
	pdma_fabric_destroy(fab);

	/* The q35 host bridge is on no list. */
	fab = one(R_HB00, 0x8086, 0x29c0);
	EXPECT(fab, 0x01, 0x02, NOPE, -1);
	REQUIRE(pdma_verdict_explain(fab, ep(fab, 1), ep(fab, 2), &v) == 0);
	CHECK(has_rule(&v, PDMA_RULE_HB_NOT_LISTED, 0));
	CHECK_EQ_INT(v.raw_distance, 4);
	CHECK(v.fix[0] != '\0');
	pdma_verdict_release(&v);
	pdma_fabric_destroy(fab);
}

static void two_bridges(void)
{
	struct pdma_fabric *fab;
	struct pdma_verdict v;

	/* Both allowed: across, in both directions. */
	fab = two(R_RCIEP00, 0x8086, 0x09a2, R_RP00, 0x8086, 0x2030);
	EXPECT(fab, 0x01, 0x81, THB, 4);
	EXPECT(fab, 0x83, 0x02, THB, 4);
	REQUIRE(pdma_verdict_explain(fab, ep(fab, 1), ep(fab, 0x81), &v) == 0);
	CHECK(has_rule(&v, PDMA_RULE_HB_ALLOWED, 0));
	CHECK(has_rule(&v, PDMA_RULE_HB_ALLOWED, 1));
	CHECK_EQ_INT(v.nr_hops, 6);	/* ep, rp, hb0, hb1, rp, ep */
	CHECK(v.hops[2].is_host_bridge && v.hops[3].is_host_bridge);
	pdma_verdict_release(&v);
	pdma_fabric_destroy(fab);

	/* One allowed, one not: rejected either way round. */
	fab = two(R_RCIEP00, 0x8086, 0x09a2, R_HB00, 0x8086, 0x29c0);
	EXPECT(fab, 0x01, 0x02, THB, 4);	/* within the listed one */
	EXPECT(fab, 0x81, 0x82, NOPE, -1);	/* within the other */
	EXPECT(fab, 0x01, 0x81, NOPE, -1);
	EXPECT(fab, 0x81, 0x01, NOPE, -1);
	/* The kernel looks at the client's bridge only if the provider's passed. */
	REQUIRE(pdma_verdict_explain(fab, ep(fab, 1), ep(fab, 0x81), &v) == 0);
	CHECK(has_rule(&v, PDMA_RULE_HB_ALLOWED, 0));
	CHECK(has_rule(&v, PDMA_RULE_HB_NOT_LISTED, 1));
	pdma_verdict_release(&v);
	REQUIRE(pdma_verdict_explain(fab, ep(fab, 0x81), ep(fab, 1), &v) == 0);
	CHECK(has_rule(&v, PDMA_RULE_HB_NOT_LISTED, 1));
	CHECK(!has_rule(&v, PDMA_RULE_HB_ALLOWED, PDMA_NONE));
	pdma_verdict_release(&v);
	pdma_fabric_destroy(fab);
}

/* Intel Xeon E5 / E7 v3 entries: REQ_SAME_HOST_BRIDGE. */
static void req_same(void)
{
	static const uint16_t ids[] = { 0x3c00, 0x3c01, 0x2f00, 0x2f01 };
	struct pdma_fabric *fab;
	struct pdma_verdict v;

	for (unsigned i = 0; i < 4; i++) {
		fab = two(R_HB00, 0x8086, ids[i], R_HB00, 0x8086, ids[i]);
		EXPECT(fab, 0x01, 0x02, THB, 4);
		EXPECT(fab, 0x81, 0x82, THB, 4);
		EXPECT(fab, 0x01, 0x81, NOPE, -1);
		EXPECT(fab, 0x82, 0x02, NOPE, -1);
		REQUIRE(pdma_verdict_explain(fab, ep(fab, 1), ep(fab, 0x81),
					     &v) == 0);
		CHECK(has_rule(&v, PDMA_RULE_HB_REQ_SAME, 0));
		CHECK(strstr(v.fix, "pci0000:00") != NULL);
		pdma_verdict_release(&v);
		pdma_fabric_destroy(fab);
	}
	/* Next to an unconditional entry: still rejected, from either side. */
	fab = two(R_RCIEP00, 0x8086, 0x09a2, R_HB00, 0x8086, 0x3c00);
	EXPECT(fab, 0x01, 0x81, NOPE, -1);
	EXPECT(fab, 0x81, 0x01, NOPE, -1);
	REQUIRE(pdma_verdict_explain(fab, ep(fab, 1), ep(fab, 0x81), &v) == 0);
	CHECK(has_rule(&v, PDMA_RULE_HB_ALLOWED, 0));
	CHECK(has_rule(&v, PDMA_RULE_HB_REQ_SAME, 1));
	pdma_verdict_release(&v);
	pdma_fabric_destroy(fab);
}

/* Only the first function of the root bus counts, and only 00.0 or a RP. */
static void root_device(void)
{
	struct pdma_fabric *fab;
	struct pdma_verdict v;

	/* No 00.0: a root port first is looked up. */
	fab = one(R_RP_FIRST, 0x8086, 0x2030);
	CHECK_EQ_INT(pdma_fabric_host_bridge(fab, 0)->root_func,
		     tb_idx(fab, "00:01.0"));
	EXPECT(fab, 0x01, 0x02, THB, 4);
	EXPECT(fab, 0x03, 0x01, THB, 4);
	pdma_fabric_destroy(fab);

	/* ...but a listed id on an RCiEP at 01.0 does not count. */
	fab = one(R_EP_FIRST, 0x8086, 0x2020);
	CHECK_EQ_INT(pdma_fabric_host_bridge(fab, 0)->root_func, PDMA_NONE);
	EXPECT(fab, 0x01, 0x02, NOPE, -1);
	REQUIRE(pdma_verdict_explain(fab, ep(fab, 1), ep(fab, 2), &v) == 0);
	CHECK(has_rule(&v, PDMA_RULE_HB_NO_ROOT_DEV, 0));
	pdma_verdict_release(&v);
	pdma_fabric_destroy(fab);

	/* Listed root ports later on the bus do not rescue it either. */
	{
		struct tb t;
		int rp;

		tb_init(&t);
		add_root(&t, 0x00, R_EP_FIRST, 0x8086, 0x29c0);
		rp = root_port(&t, 0x00, 4, 0x05, 0x8086, 0x2030);
		tb_ep(&t, rp, 0x05, 0, 0, 0x010802);
		fab = tb_done(&t);
		EXPECT(fab, 0x05, 0x01, NOPE, -1);
		pdma_fabric_destroy(fab);

		tb_init(&t);
		add_root(&t, 0x00, R_HB00, 0x8086, 0x29c0);
		rp = root_port(&t, 0x00, 4, 0x05, 0x8086, 0x2030);
		tb_ep(&t, rp, 0x05, 0, 0, 0x010802);
		fab = tb_done(&t);
		CHECK_EQ_INT(pdma_fabric_host_bridge(fab, 0)->root_func,
			     tb_idx(fab, "00:00.0"));
		EXPECT(fab, 0x05, 0x01, NOPE, -1);
		pdma_fabric_destroy(fab);
	}

	/* A root port first, but one on no list. */
	fab = one(R_RP_FIRST, 0x1b36, 0x000c);
	EXPECT(fab, 0x01, 0x02, NOPE, -1);
	pdma_fabric_destroy(fab);
}

/* Entries only newer kernels have: Google (any device), Intel DSA. */
static void rules_versions(void)
{
	struct pdma_fabric *fab;
	struct pdma_verdict v;
	int dsa, d;

	CHECK_EQ_INT(pdma_rules_parse("6.12", &(enum pdma_rules){ 0 }), 0);
	for (uint16_t did = 0x0042; did < 0x0044; did++) {
		fab = one(R_HB00, 0x1ae0, did);
		CHECK_EQ_INT(pdma_fabric_rules(fab), PDMA_RULES_V6_12);
		EXPECT(fab, 0x01, 0x02, NOPE, -1);
		pdma_fabric_set_rules(fab, PDMA_RULES_LATEST);
		CHECK_EQ_INT(pdma_fabric_rules(fab), PDMA_RULES_LATEST);
		EXPECT(fab, 0x01, 0x02, THB, 4);
		pdma_fabric_set_rules(fab, PDMA_RULES_V6_12);
		EXPECT(fab, 0x01, 0x02, NOPE, -1);
		pdma_fabric_destroy(fab);
	}

	/* A DSA on its own root bus, next to an Ice Lake host bridge. */
	fab = two(R_RCIEP00, 0x8086, 0x09a2, R_RCIEP00, 0x8086, 0x0b25);
	dsa = tb_idx(fab, "80:00.0");
	CHECK_EQ_INT(pdma_verdict_map_type(fab, dsa, ep(fab, 1), &d), NOPE);
	REQUIRE(pdma_verdict_explain(fab, dsa, ep(fab, 1), &v) == 0);
	CHECK(has_rule(&v, PDMA_RULE_HB_NOT_LISTED, 1));
	CHECK(strstr(v.reasons[v.nr_reasons - 1].text, "6.12") != NULL);
	CHECK_EQ_INT(v.raw_distance, 1 + 2);
	pdma_verdict_release(&v);
	pdma_fabric_set_rules(fab, PDMA_RULES_LATEST);
	CHECK_EQ_INT(pdma_verdict_map_type(fab, dsa, ep(fab, 1), &d), THB);
	CHECK_EQ_INT(d, 3);
	CHECK_EQ_INT(pdma_verdict_map_type(fab, ep(fab, 2), dsa, &d), THB);
	pdma_fabric_destroy(fab);

	/* The REQ_SAME entries keep their flag in the newest list. */
	fab = two(R_HB00, 0x8086, 0x3c00, R_HB00, 0x8086, 0x3c00);
	pdma_fabric_set_rules(fab, PDMA_RULES_LATEST);
	EXPECT(fab, 0x01, 0x02, THB, 4);
	EXPECT(fab, 0x01, 0x81, NOPE, -1);
	pdma_fabric_destroy(fab);
}

static void set_cpu(struct pdma_fabric *fab, enum pdma_cpu_vendor vendor,
		    int family)
{
	struct pdma_platform_info pi = *pdma_fabric_platform(fab);

	pi.cpu_vendor = vendor;
	pi.cpu_family = family;
	pdma_fabric_set_platform(fab, &pi);
}

static void cpu_rule(void)
{
	/* An unlisted host bridge and one the kernel cannot look up. */
	struct pdma_fabric *fab = two(R_HB00, 0x8086, 0x29c0, R_EP_FIRST,
				      0x8086, 0x2020);
	struct pdma_verdict v;

	for (int fam = 0x17; fam <= 0x1a; fam++) {
		set_cpu(fab, PDMA_CPU_AMD, fam);
		EXPECT(fab, 0x01, 0x02, THB, 4);
		EXPECT(fab, 0x01, 0x81, THB, 4);
		EXPECT(fab, 0x82, 0x81, THB, 4);
	}
	REQUIRE(pdma_verdict_explain(fab, ep(fab, 1), ep(fab, 0x81), &v) == 0);
	CHECK(has_rule(&v, PDMA_RULE_CPU_ALLOWS, PDMA_NONE));
	CHECK(!has_rule(&v, PDMA_RULE_HB_NOT_LISTED, PDMA_NONE));
	CHECK(!has_rule(&v, PDMA_RULE_HB_NO_ROOT_DEV, PDMA_NONE));
	CHECK_EQ_INT(v.path_class, PDMA_PATH_SYS);	/* NUMA unknown */
	pdma_verdict_release(&v);

	/* Before Zen, and any CPU but AMD, whatever its family. */
	for (int i = 0; i < 6; i++) {
		static const struct {
			enum pdma_cpu_vendor v;
			int fam;
		} no[] = {
			{ PDMA_CPU_AMD, 0x16 }, { PDMA_CPU_AMD, 0x15 },
			{ PDMA_CPU_INTEL, 6 }, { PDMA_CPU_INTEL, 0x19 },
			{ PDMA_CPU_OTHER, 0x19 }, { PDMA_CPU_UNKNOWN, 0x19 },
		};

		set_cpu(fab, no[i].v, no[i].fam);
		EXPECT(fab, 0x01, 0x02, NOPE, -1);
		EXPECT(fab, 0x01, 0x81, NOPE, -1);
		REQUIRE(pdma_verdict_explain(fab, ep(fab, 1), ep(fab, 2),
					     &v) == 0);
		CHECK(has_rule(&v, no[i].v == PDMA_CPU_AMD ?
					   PDMA_RULE_CPU_TOO_OLD :
					   PDMA_RULE_CPU_NOT_AMD,
			       PDMA_NONE));
		pdma_verdict_release(&v);
	}
	pdma_fabric_destroy(fab);

	/* An old AMD CPU still gets what the allow-list gives. */
	fab = one(R_RCIEP00, 0x8086, 0x09a2);
	set_cpu(fab, PDMA_CPU_AMD, 0x16);
	EXPECT(fab, 0x01, 0x02, THB, 4);
	pdma_fabric_destroy(fab);
}

int main(void)
{
	same_bridge();
	two_bridges();
	req_same();
	root_device();
	rules_versions();
	cpu_rule();
	return harness_exit();
}
