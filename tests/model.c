/* SPDX-License-Identifier: MIT */
/*
 * The fabric model itself: what finalize derives, every error it reports,
 * lookups, and the "what if" changes.
 */
#include <errno.h>

#include "tb.h"

/* Build, add @extra, finalize; returns finalize's result and the message. */
static int try_finalize(struct pdma_fabric *fab, char *msg, size_t len)
{
	struct pdma_error err = { "" };
	int ret = pdma_fabric_finalize(fab, &err);

	snprintf(msg, len, "%s", err.msg);
	return ret;
}

static void test_errors(void)
{
	struct pdma_func_info fi;
	char msg[512];
	struct tb t;
	int rp, ep;

	/* The same address twice. */
	tb_init(&t);
	tb_ep(&t, PDMA_NONE, 0, 3, 0, 0x020000);
	tb_ep(&t, PDMA_NONE, 0, 3, 0, 0x020000);
	CHECK_EQ_INT(try_finalize(t.fab, msg, sizeof(msg)), -EINVAL);
	CHECK(strstr(msg, "0000:00:03.0: the address appears twice") != NULL);
	pdma_fabric_destroy(t.fab);

	/* Device and function numbers out of range. */
	tb_init(&t);
	tb_ep(&t, PDMA_NONE, 0, 32, 0, 0x020000);
	CHECK_EQ_INT(try_finalize(t.fab, msg, sizeof(msg)), -EINVAL);
	CHECK(strstr(msg, "device must be 0-31") != NULL);
	pdma_fabric_destroy(t.fab);

	/* A label given twice. */
	tb_init(&t);
	fi = tb_info(0, 3, 0);
	snprintf(fi.label, sizeof(fi.label), "gpu");
	tb_add(&t, &fi);
	fi = tb_info(0, 4, 0);
	snprintf(fi.label, sizeof(fi.label), "gpu");
	tb_add(&t, &fi);
	CHECK_EQ_INT(try_finalize(t.fab, msg, sizeof(msg)), -EINVAL);
	CHECK(strstr(msg, "label \"gpu\" is given to both 0000:00:03.0 and 00:04.0") != NULL);
	pdma_fabric_destroy(t.fab);

	/* A function below something that is not a bridge. */
	tb_init(&t);
	ep = tb_ep(&t, PDMA_NONE, 0, 3, 0, 0x020000);
	tb_ep(&t, ep, 1, 0, 0, 0x020000);
	CHECK_EQ_INT(try_finalize(t.fab, msg, sizeof(msg)), -EINVAL);
	CHECK(strstr(msg, "is not a bridge") != NULL);
	pdma_fabric_destroy(t.fab);

	/* Below a bridge whose secondary bus is another. */
	tb_init(&t);
	rp = tb_port(&t, PDMA_PCIE_ROOT_PORT, PDMA_NONE, 0, 2, 0, 1);
	tb_ep(&t, rp, 7, 0, 0, 0x020000);
	CHECK_EQ_INT(try_finalize(t.fab, msg, sizeof(msg)), -EINVAL);
	CHECK(strstr(msg, "secondary bus is 01, not 07") != NULL);
	pdma_fabric_destroy(t.fab);

	/* Two bridges claiming one secondary bus (parents found by bus). */
	tb_init(&t);
	tb_port(&t, PDMA_PCIE_ROOT_PORT, PDMA_NONE, 0, 2, 0, 1);
	tb_port(&t, PDMA_PCIE_ROOT_PORT, PDMA_NONE, 0, 3, 0, 1);
	fi = tb_info(1, 0, 0);
	fi.parent = PDMA_AUTO;
	tb_add(&t, &fi);
	CHECK_EQ_INT(try_finalize(t.fab, msg, sizeof(msg)), -EINVAL);
	CHECK(strstr(msg, "claim bus 01") != NULL);
	pdma_fabric_destroy(t.fab);

	/* A parent index that does not exist, and a loop. */
	tb_init(&t);
	tb_ep(&t, 5, 0, 3, 0, 0x020000);
	CHECK_EQ_INT(try_finalize(t.fab, msg, sizeof(msg)), -EINVAL);
	CHECK(strstr(msg, "does not exist") != NULL);
	pdma_fabric_destroy(t.fab);
	tb_init(&t);
	fi = tb_info(1, 0, 0);
	fi.header_type = 1;
	fi.secondary_bus = 2;
	fi.parent = 1;
	tb_add(&t, &fi);
	fi = tb_info(2, 0, 0);
	fi.header_type = 1;
	fi.secondary_bus = 1;
	fi.parent = 0;
	tb_add(&t, &fi);
	CHECK_EQ_INT(try_finalize(t.fab, msg, sizeof(msg)), -EINVAL);
	CHECK(strstr(msg, "loops") != NULL);
	pdma_fabric_destroy(t.fab);

	/* Finalize twice; building after finalize. */
	tb_init(&t);
	tb_ep(&t, PDMA_NONE, 0, 3, 0, 0x020000);
	tb_done(&t);
	CHECK_EQ_INT(pdma_fabric_finalize(t.fab, NULL), -EBUSY);
	fi = tb_info(0, 4, 0);
	CHECK_EQ_INT(pdma_fabric_add_func(t.fab, &fi, NULL), -EBUSY);
	CHECK_EQ_INT(pdma_fabric_add_host_bridge(t.fab,
			&(struct pdma_host_bridge_info){ .bus = 0x40 }, NULL),
		     -EBUSY);
	CHECK_EQ_INT(pdma_fabric_set_iommu_group_type(t.fab, -1,
						      PDMA_IOMMU_DMA), -EINVAL);
	pdma_fabric_destroy(t.fab);
	pdma_fabric_destroy(NULL);

	/* Host bridges: a duplicate root bus. */
	tb_init(&t);
	CHECK_EQ_INT(pdma_fabric_add_host_bridge(t.fab,
			&(struct pdma_host_bridge_info){ .bus = 0x40 }, NULL), 0);
	CHECK_EQ_INT(pdma_fabric_add_host_bridge(t.fab,
			&(struct pdma_host_bridge_info){ .bus = 0x40 }, NULL),
		     -EEXIST);
	pdma_fabric_destroy(t.fab);

	/* An empty fabric finalizes. */
	tb_init(&t);
	CHECK_EQ_INT(pdma_fabric_finalize(t.fab, NULL), 0);
	CHECK_EQ_INT(pdma_fabric_nr_funcs(t.fab), 0);
	pdma_fabric_destroy(t.fab);
}

static void test_derived(void)
{
	struct pdma_func_info fi;
	struct pdma_fabric *fab;
	struct tb t;
	int rp;

	tb_init(&t);
	/* Added out of order, parents found from bus numbers. */
	fi = tb_info(1, 0, 1);
	fi.class_code = 0x020000;
	fi.parent = PDMA_AUTO;
	fi.link_cur = (struct pdma_link){ 9, 63 };	/* outside PCIe */
	tb_add(&t, &fi);
	fi = tb_info(1, 0, 0);
	fi.class_code = 0x020000;
	fi.parent = PDMA_AUTO;
	fi.link_cur = (struct pdma_link){ 4, 16 };
	tb_add(&t, &fi);
	rp = tb_port(&t, PDMA_PCIE_ROOT_PORT, PDMA_NONE, 0, 2, 0, 1);
	(void)rp;
	tb_ep(&t, PDMA_NONE, 0, 0, 0, 0x060000);
	fi = tb_info(0x40, 0, 0);	/* a second root bus */
	fi.class_code = 0x030200;
	fi.parent = PDMA_AUTO;
	tb_add(&t, &fi);
	fab = tb_done(&t);

	CHECK_EQ_INT(pdma_fabric_nr_funcs(fab), 5);
	CHECK_EQ_INT(pdma_fabric_nr_host_bridges(fab), 2);
	/* Sorted by address; parents and depth from the bus numbers. */
	CHECK_EQ_INT(tb_idx(fab, "00:00.0"), 0);
	CHECK_EQ_INT(tb_idx(fab, "01:00.1"), 3);
	CHECK_EQ_INT(pdma_fabric_func(fab, 3)->parent, tb_idx(fab, "00:02.0"));
	CHECK_EQ_INT(pdma_fabric_func(fab, 3)->depth, 1);
	CHECK_EQ_INT(pdma_fabric_func(fab, 4)->parent, PDMA_NONE);
	/* Both functions of slot 01:00 are multifunction (the kernel's view). */
	CHECK(pdma_fabric_func(fab, 2)->multifunction);
	CHECK(pdma_fabric_func(fab, 3)->multifunction);
	CHECK(!pdma_fabric_func(fab, 4)->multifunction);
	/* A link outside PCIe is unknown, a real one stays. */
	CHECK_EQ_INT(pdma_fabric_func(fab, 3)->link_cur.gen, 0);
	CHECK_EQ_INT(pdma_fabric_func(fab, 3)->link_cur.width, 0);
	CHECK_EQ_INT(pdma_fabric_func(fab, 2)->link_cur.width, 16);
	/* Roles and labels. */
	CHECK_EQ_INT(pdma_fabric_func(fab, 1)->role, PDMA_ROLE_ROOT_PORT);
	CHECK_STR(pdma_fabric_func(fab, 2)->label, "nic0");
	CHECK_STR(pdma_fabric_func(fab, 3)->label, "nic1");
	CHECK_STR(pdma_fabric_func(fab, 4)->label, "gpu0");
	CHECK_STR(pdma_role_name(PDMA_ROLE_NVME), "NVMe");
	CHECK_STR(pdma_role_name(99), "?");
	/* Host bridges: names, and the kernel's root device for the list. */
	CHECK_STR(pdma_fabric_host_bridge(fab, 0)->name, "pci0000:00");
	CHECK_EQ_INT(pdma_fabric_host_bridge(fab, 0)->root_func, 0);
	CHECK_STR(pdma_fabric_host_bridge(fab, 1)->name, "pci0000:40");
	CHECK_EQ_INT(pdma_fabric_host_bridge(fab, 1)->root_func, 4);
	CHECK(pdma_fabric_host_bridge(fab, 2) == NULL);
	CHECK(pdma_fabric_func(fab, 5) == NULL);
	CHECK(pdma_fabric_func(fab, -1) == NULL);

	/* Lookups by BDF, short BDF and label. */
	CHECK_EQ_INT(pdma_fabric_lookup(fab, "0000:01:00.1"), 3);
	CHECK_EQ_INT(pdma_fabric_lookup(fab, "01:00.1"), 3);
	CHECK_EQ_INT(pdma_fabric_lookup(fab, "gpu0"), 4);
	CHECK_EQ_INT(pdma_fabric_lookup(fab, "gpu9"), -ENOENT);
	CHECK_EQ_INT(pdma_fabric_lookup(fab, "01:00.9"), -ENOENT);

	/* What if: removing the root port takes what is below it. */
	{
		uint64_t gen = pdma_fabric_generation(fab);

		CHECK_EQ_INT(pdma_fabric_remove_func(fab, tb_idx(fab, "00:02.0")), 0);
		CHECK(pdma_fabric_generation(fab) != gen);
		CHECK_EQ_INT(pdma_fabric_nr_funcs(fab), 2);
		CHECK_EQ_INT(pdma_fabric_lookup(fab, "nic0"), -ENOENT);
		CHECK_EQ_INT(pdma_fabric_lookup(fab, "gpu0"), 1);
		CHECK_EQ_INT(pdma_fabric_remove_func(fab, 7), -EINVAL);
		CHECK_EQ_INT(pdma_fabric_set_acs_ctrl(fab, 0, 0), -ENODEV);
		CHECK_EQ_INT(pdma_fabric_set_acs_ctrl(fab, 9, 0), -EINVAL);
	}
	pdma_fabric_destroy(fab);
}

static void test_bdf(void)
{
	uint16_t d;
	uint8_t b, v, f;

	CHECK_EQ_INT(pdma_bdf_parse("0001:a0:1f.7", &d, &b, &v, &f), 0);
	CHECK(d == 1 && b == 0xa0 && v == 0x1f && f == 7);
	CHECK_EQ_INT(pdma_bdf_parse("a0:00.1", &d, &b, &v, &f), 0);
	CHECK(d == 0 && b == 0xa0 && v == 0 && f == 1);
	CHECK_EQ_INT(pdma_bdf_parse("a0:20.0", &d, &b, &v, &f), -EINVAL);
	CHECK_EQ_INT(pdma_bdf_parse("a0:00.8", &d, &b, &v, &f), -EINVAL);
	CHECK_EQ_INT(pdma_bdf_parse("a0:00.0x", &d, &b, &v, &f), -EINVAL);
	CHECK_EQ_INT(pdma_bdf_parse("gpu0", &d, &b, &v, &f), -EINVAL);
	CHECK_EQ_INT(pdma_bdf_parse("", &d, &b, &v, &f), -EINVAL);
	/* Link arithmetic: gen4 x16 = 31.5 GB/s after 128b/130b. */
	CHECK(pdma_link_gbytes((struct pdma_link){ 4, 16 }) > 31.50 &&
	      pdma_link_gbytes((struct pdma_link){ 4, 16 }) < 31.51);
	CHECK(pdma_link_gbytes((struct pdma_link){ 1, 1 }) == 0.25);
	CHECK(pdma_link_gbytes((struct pdma_link){ 0, 16 }) == 0);
	CHECK(pdma_link_gen_gts(6) == 64.0);
}

int main(void)
{
	test_errors();
	test_derived();
	test_bdf();
	return harness_exit();
}
