/* SPDX-License-Identifier: MIT */
/*
 * pdma__config_decode() on real configuration space: the `config` files of
 * the kernel fixtures, checked against what `lspci -vvv` printed on the
 * same machines.
 *
 *  1. tests/fixtures/config/: a few functions copied from the fixtures,
 *     each checked field by field (values from their lspci-vvv.txt);
 *  2. every config file of tests/fixtures/kernel/<fixture>/sys, checked
 *     against that fixture's lspci-vvv.txt, parsed here;
 *  3. short reads (64 and 256 bytes) and malformed bytes.
 */
#include <errno.h>
#include <ftw.h>
#include <unistd.h>

#include "fabric/config.h"
#include "harness.h"

static size_t read_file(const char *path, uint8_t *buf, size_t cap)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f) {
		fprintf(stderr, "cannot open %s\n", path);
		exit(1);
	}
	n = fread(buf, 1, cap, f);
	fclose(f);
	return n;
}

static int decode(const uint8_t *cfg, size_t len, struct pdma_func_info *fi,
		  struct pdma_error *err)
{
	memset(fi, 0, sizeof(*fi));
	memset(err, 0, sizeof(*err));
	return pdma__config_decode(cfg, len, fi, "test config", err);
}

/* ---- 1. the copied files --------------------------------------------- */

struct want {
	const char *file;
	uint16_t vendor, device;
	uint32_t class_code;
	uint8_t header_type, sec, sub;
	bool mf;
	int pcie_type;
	int cur_gen, cur_width, max_gen, max_width;
	bool has_acs;
	uint16_t acs_cap, acs_ctrl;
	uint64_t bar0, bar2;
	unsigned bar0_flags, bar2_flags;
};

#define MEM	PDMA_BAR_MEM
#define M64	(PDMA_BAR_MEM | PDMA_BAR_64)
#define PF64	(PDMA_BAR_MEM | PDMA_BAR_64 | PDMA_BAR_PREFETCH)

/*
 * ACSCap "SrcValid+ TransBlk+ ReqRedir+ CmpltRedir+ UpstreamFwd+
 * EgressCtrl- DirectTrans+" = 0x5f; d2's ACSCtl "SrcValid+ TransBlk-
 * ReqRedir+ CmpltRedir+ UpstreamFwd+" = 0x1d; d3's 00:07.0 and the
 * no-IOMMU machines: all "-" = 0.
 */
static const struct want wants[] = {
	{ "d2-00-02.0", 0x1b36, 0x000c, 0x060400, 1, 0x01, 0x07, false,
	  PDMA_PCIE_ROOT_PORT, 1, 1, 4, 32, true, 0x5f, 0x1d,
	  0xfea00000, 0, MEM, 0 },
	{ "d2-00-03.0", 0x1b36, 0x000c, 0x060400, 1, 0x08, 0x08, false,
	  PDMA_PCIE_ROOT_PORT, 1, 1, 4, 32, false, 0, 0,
	  0xfea01000, 0, MEM, 0 },
	{ "d2-00-07.0", 0x1b36, 0x000c, 0x060400, 1, 0x09, 0x09, false,
	  PDMA_PCIE_ROOT_PORT, 1, 1, 4, 32, true, 0x5f, 0x1d,
	  0xfea02000, 0, MEM, 0 },
	{ "d3-00-07.0", 0x1b36, 0x000c, 0x060400, 1, 0x09, 0x09, false,
	  PDMA_PCIE_ROOT_PORT, 1, 1, 4, 32, true, 0x5f, 0x0000,
	  0xfea02000, 0, MEM, 0 },
	{ "d2-01-00.0", 0x104c, 0x8232, 0x060400, 1, 0x02, 0x07, false,
	  PDMA_PCIE_UPSTREAM, 1, 1, 1, 1, false, 0, 0, 0, 0, 0, 0 },
	/* LnkCap "Speed unknown, Width x0"; LnkSta 2.5GT/s x1. */
	{ "d2-02-00.0", 0x104c, 0x8233, 0x060400, 1, 0x03, 0x06, false,
	  PDMA_PCIE_DOWNSTREAM, 1, 1, 0, 0, false, 0, 0, 0, 0, 0, 0 },
	{ "d2-09-00.0", 0x1b36, 0x0010, 0x010802, 0, 0, 0, true,
	  PDMA_PCIE_ENDPOINT, 1, 1, 1, 1, false, 0, 0,
	  0xfe680000, 0xfc000000, M64, PF64 },
	{ "d2-09-00.1", 0x8086, 0x10d3, 0x020000, 0, 0, 0, false,
	  PDMA_PCIE_ENDPOINT, 1, 1, 1, 1, false, 0, 0,
	  0xfe640000, 0xc000, MEM, 0 },
	{ "d1-00-00.0", 0x8086, 0x29c0, 0x060000, 0, 0, 0, false,
	  PDMA_PCIE_NONE, 0, 0, 0, 0, false, 0, 0, 0, 0, 0, 0 },
	/* A root-complex integrated endpoint has no link registers. */
	{ "d1-00-08.0", 0x1b36, 0x0010, 0x010802, 0, 0, 0, false,
	  PDMA_PCIE_RC_INTEGRATED, 0, 0, 0, 0, false, 0, 0,
	  0xfea00000, 0xfb000000, M64, PF64 },
	{ "d1-00-1c.0", 0x1b36, 0x000c, 0x060400, 1, 0x06, 0x06, true,
	  PDMA_PCIE_ROOT_PORT, 1, 1, 4, 32, true, 0x5f, 0,
	  0xfea05000, 0, MEM, 0 },
	{ "d1-07-00.0", 0x1af4, 0x1110, 0x050000, 0, 0, 0, false,
	  PDMA_PCIE_NONE, 0, 0, 0, 0, false, 0, 0,
	  0xfe600000, 0xfd000000, MEM, PF64 },
	{ "d4-40-00.0", 0x1b36, 0x000c, 0x060400, 1, 0x41, 0x45, false,
	  PDMA_PCIE_ROOT_PORT, 1, 1, 4, 16, true, 0x5f, 0,
	  0xfea01000, 0, MEM, 0 },
	{ "d4-a1-00.1", 0x1b36, 0x0010, 0x010802, 0, 0, 0, false,
	  PDMA_PCIE_ENDPOINT, 1, 1, 1, 1, false, 0, 0,
	  0xfe804000, 0xfd000000, M64, PF64 },
};

static void check_copied(void)
{
	for (size_t i = 0; i < sizeof(wants) / sizeof(wants[0]); i++) {
		const struct want *w = &wants[i];
		struct pdma_func_info fi;
		struct pdma_error err;
		uint8_t cfg[4096];
		char path[512];
		size_t len;

		snprintf(path, sizeof(path), "%s/config/%s.config",
			 harness_fixtures(), w->file);
		len = read_file(path, cfg, sizeof(cfg));
		fprintf(stderr, "# %s\n", w->file);
		CHECK_EQ_INT(decode(cfg, len, &fi, &err), 0);
		CHECK_EQ_INT(fi.vendor, w->vendor);
		CHECK_EQ_INT(fi.device, w->device);
		CHECK_EQ_INT(fi.class_code, w->class_code);
		CHECK_EQ_INT(fi.header_type, w->header_type);
		CHECK_EQ_INT(fi.multifunction, w->mf);
		CHECK_EQ_INT(fi.secondary_bus, w->sec);
		CHECK_EQ_INT(fi.subordinate_bus, w->sub);
		CHECK_EQ_INT(fi.pcie_type, w->pcie_type);
		CHECK_EQ_INT(fi.link_cur.gen, w->cur_gen);
		CHECK_EQ_INT(fi.link_cur.width, w->cur_width);
		CHECK_EQ_INT(fi.link_max.gen, w->max_gen);
		CHECK_EQ_INT(fi.link_max.width, w->max_width);
		CHECK(fi.acs_known);
		CHECK_EQ_INT(fi.has_acs, w->has_acs);
		CHECK_EQ_INT(fi.acs_cap, w->acs_cap);
		CHECK_EQ_INT(fi.acs_ctrl, w->acs_ctrl);
		CHECK_EQ_INT(fi.bars[0].addr, w->bar0);
		CHECK_EQ_INT(fi.bars[0].flags, w->bar0_flags);
		CHECK_EQ_INT(fi.bars[2].addr, w->bar2);
		CHECK_EQ_INT(fi.bars[2].flags, w->bar2_flags);
		/* Sizes are not in config space: left as they were. */
		CHECK_EQ_INT(fi.bars[0].size, 0);
	}
}

/* Subsystem, revision and the upper half of a 64-bit BAR. */
static void check_details(void)
{
	struct pdma_func_info fi;
	struct pdma_error err;
	uint8_t cfg[4096];
	char path[512];
	size_t len;

	snprintf(path, sizeof(path), "%s/config/d2-09-00.0.config",
		 harness_fixtures());
	len = read_file(path, cfg, sizeof(cfg));
	REQUIRE(decode(cfg, len, &fi, &err) == 0);
	CHECK_EQ_INT(fi.subsys_vendor, 0x1af4);	/* [1af4:1100] */
	CHECK_EQ_INT(fi.subsys_device, 0x1100);
	CHECK_EQ_INT(fi.revision, 2);
	/* The upper halves live in BARs 1 and 3, which stay empty. */
	CHECK_EQ_INT(fi.bars[1].flags, 0);
	CHECK_EQ_INT(fi.bars[3].flags, 0);
	cfg[0x1c] = 0x12;			/* BAR 3 = upper half of 2 */
	REQUIRE(decode(cfg, len, &fi, &err) == 0);
	CHECK_EQ_INT(fi.bars[2].addr, 0x12fc000000ull);

	/* Sizes a loader put there before are kept. */
	memset(&fi, 0, sizeof(fi));
	fi.bars[2].size = 16 << 20;
	REQUIRE(pdma__config_decode(cfg, len, &fi, "x", &err) == 0);
	CHECK_EQ_INT(fi.bars[2].size, 16 << 20);
	/* The caller's address fields are kept too. */
	memset(&fi, 0, sizeof(fi));
	fi.bus = 9;
	fi.numa_node = -1;
	REQUIRE(pdma__config_decode(cfg, len, &fi, "x", &err) == 0);
	CHECK_EQ_INT(fi.bus, 9);
	CHECK_EQ_INT(fi.numa_node, -1);
}

/* ---- 3. short reads and malformed bytes -------------------------------- */

static void load(const char *file, uint8_t *cfg, size_t *len)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/config/%s.config", harness_fixtures(),
		 file);
	*len = read_file(path, cfg, 4096);
}

static void check_short(void)
{
	struct pdma_func_info fi;
	struct pdma_error err;
	uint8_t cfg[4096];
	size_t len;

	load("d2-00-02.0", cfg, &len);
	REQUIRE(len == 4096);

	/* 64 bytes (unprivileged sysfs, lspci -x): header only. */
	CHECK_EQ_INT(decode(cfg, 64, &fi, &err), 0);
	CHECK_EQ_INT(fi.vendor, 0x1b36);
	CHECK_EQ_INT(fi.secondary_bus, 1);
	CHECK_EQ_INT(fi.subordinate_bus, 7);
	CHECK_EQ_INT(fi.bars[0].addr, 0xfea00000);
	CHECK_EQ_INT(fi.pcie_type, PDMA_PCIE_NONE);
	CHECK_EQ_INT(fi.link_max.gen, 0);
	CHECK(!fi.acs_known);
	CHECK(!fi.has_acs);

	/* 256 bytes (lspci -xxx): the PCIe capability, not ACS. */
	CHECK_EQ_INT(decode(cfg, 256, &fi, &err), 0);
	CHECK_EQ_INT(fi.pcie_type, PDMA_PCIE_ROOT_PORT);
	CHECK_EQ_INT(fi.link_max.gen, 4);
	CHECK_EQ_INT(fi.link_max.width, 32);
	CHECK(!fi.acs_known);
	CHECK(!fi.has_acs);
	/* Anything short of 4096 is the same. */
	CHECK_EQ_INT(decode(cfg, 4095, &fi, &err), 0);
	CHECK(!fi.acs_known);
	/* 96 bytes: the PCIe capability at 0x54 fits, the list beyond not. */
	CHECK_EQ_INT(decode(cfg, 0x68, &fi, &err), 0);
	CHECK_EQ_INT(fi.pcie_type, PDMA_PCIE_ROOT_PORT);
	CHECK(!fi.acs_known);

	/* A conventional function: 256 bytes say there is no ACS. */
	load("d1-00-00.0", cfg, &len);
	CHECK_EQ_INT(len, 256);
	CHECK_EQ_INT(decode(cfg, len, &fi, &err), 0);
	CHECK(fi.acs_known);
	CHECK_EQ_INT(decode(cfg, 64, &fi, &err), 0);
	CHECK(!fi.acs_known);

	/* Fewer than 64 bytes is not a header. */
	CHECK_EQ_INT(decode(cfg, 63, &fi, &err), -EINVAL);
	CHECK(strstr(err.msg, "test config: only 63 bytes"));
	CHECK_EQ_INT(decode(cfg, 0, &fi, &err), -EINVAL);
}

static void expect_einval(const uint8_t *cfg, size_t len, const char *what)
{
	struct pdma_func_info fi, before;
	struct pdma_error err;

	memset(&fi, 0x5a, sizeof(fi));
	before = fi;
	memset(&err, 0, sizeof(err));
	CHECK_EQ_INT(pdma__config_decode(cfg, len, &fi, "0000:09:00.0 config",
					 &err), -EINVAL);
	if (!strstr(err.msg, what))
		fprintf(stderr, "message \"%s\" lacks \"%s\"\n", err.msg, what);
	CHECK(strstr(err.msg, what));
	CHECK(!strncmp(err.msg, "0000:09:00.0 config: ", 21));
	/* Nothing half-decoded is left behind. */
	CHECK(!memcmp(&fi, &before, sizeof(fi)));
}

static void check_malformed(void)
{
	uint8_t orig[4096], cfg[4096];
	struct pdma_func_info fi;
	struct pdma_error err;
	size_t len;

	/* 09:00.0: capabilities 0x40 (MSI-X) -> 0x80 (PCIe) -> 0x60 (PM). */
	load("d2-09-00.0", orig, &len);
	REQUIRE(len == 4096 && orig[0x34] == 0x40 && orig[0x60] == 0x01);

	memcpy(cfg, orig, len);
	memset(cfg, 0xff, 4);
	expect_einval(cfg, len, "vendor id is ffff");

	memcpy(cfg, orig, len);
	cfg[0x0e] = 0x05;
	expect_einval(cfg, len, "unknown header type 0x05");

	/* PM's next pointer back to the first capability. */
	memcpy(cfg, orig, len);
	cfg[0x61] = 0x40;
	expect_einval(cfg, len, "loops (the pointer at 0x61 leads back to 0x40)");
	/* A capability pointing at itself. */
	memcpy(cfg, orig, len);
	cfg[0x34] = 0x60;
	cfg[0x61] = 0x60;
	expect_einval(cfg, len, "loops");
	/* ... and the same list in a 64-byte read is simply cut off. */
	CHECK_EQ_INT(decode(cfg, 64, &fi, &err), 0);
	/* A pointer into the header. */
	memcpy(cfg, orig, len);
	cfg[0x61] = 0x10;
	expect_einval(cfg, len, "inside the 64-byte header");
	/* The PCIe capability where it cannot fit: past the 256 bytes. */
	memcpy(cfg, orig, len);
	cfg[0x61] = 0xf0;
	cfg[0xf0] = 0x10;
	cfg[0xf1] = 0x00;
	cfg[0x34] = 0x60;
	expect_einval(cfg, len, "PCI Express capability at 0xf0 runs past");
	/* Low two bits of a pointer are reserved: masked, as the kernel does. */
	memcpy(cfg, orig, len);
	cfg[0x34] = 0x43;
	CHECK_EQ_INT(decode(cfg, len, &fi, &err), 0);
	CHECK_EQ_INT(fi.pcie_type, PDMA_PCIE_ENDPOINT);
	/* Id 0xff ends the list (the kernel stops there too). */
	memcpy(cfg, orig, len);
	cfg[0x40] = 0xff;
	CHECK_EQ_INT(decode(cfg, len, &fi, &err), 0);
	CHECK_EQ_INT(fi.pcie_type, PDMA_PCIE_NONE);
	/* No capability list bit in Status: no list at all. */
	memcpy(cfg, orig, len);
	cfg[0x06] &= (uint8_t)~0x10;
	CHECK_EQ_INT(decode(cfg, len, &fi, &err), 0);
	CHECK_EQ_INT(fi.pcie_type, PDMA_PCIE_NONE);

	/* d2 00:02.0: extended capabilities 0x100 (AER) -> 0x148 (ACS). */
	load("d2-00-02.0", orig, &len);
	REQUIRE(orig[0x100] == 0x01 && orig[0x148] == 0x0d);

	/* ACS's next pointer back to AER: a loop after the ACS capability is
	 * malformed all the same. */
	memcpy(cfg, orig, len);
	cfg[0x14a] = (uint8_t)((cfg[0x14a] & 0x0f) | 0x00);
	cfg[0x14b] = 0x10;
	expect_einval(cfg, len, "extended capability list: it loops (the header at 0x148 leads back to 0x100)");
	/* AER pointing at itself. */
	memcpy(cfg, orig, len);
	cfg[0x102] = (uint8_t)(cfg[0x102] & 0x0f);
	cfg[0x103] = 0x10;
	expect_einval(cfg, len, "loops");
	/* Into the standard space. */
	memcpy(cfg, orig, len);
	cfg[0x102] = (uint8_t)((cfg[0x102] & 0x0f) | 0x40);
	cfg[0x103] = 0x00;
	expect_einval(cfg, len, "inside the standard space");
	/* ACS at 0xffc: its control word would be past the 4096 bytes. */
	memcpy(cfg, orig, len);
	cfg[0x14a] = (uint8_t)((cfg[0x14a] & 0x0f) | 0xc0);
	cfg[0x14b] = 0xff;
	cfg[0xffc] = 0x0d;
	cfg[0xffd] = 0x00;
	cfg[0x148] = 0x01;	/* make 0x148 AER so 0xffc is the first ACS */
	expect_einval(cfg, len, "ACS capability at 0xffc runs past");
	/* An all-ones extended header: not implemented, no ACS, known. */
	memcpy(cfg, orig, len);
	memset(cfg + 0x100, 0xff, 4);
	CHECK_EQ_INT(decode(cfg, len, &fi, &err), 0);
	CHECK(fi.acs_known);
	CHECK(!fi.has_acs);
}

int main(void)
{
	check_copied();
	check_details();
	check_short();
	check_malformed();
	return harness_exit();
}
