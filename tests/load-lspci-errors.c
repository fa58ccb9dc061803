/* SPDX-License-Identifier: MIT */
/*
 * Every way an lspci dump can be wrong: each must fail with -EINVAL (or the
 * errno of a failed open/read), leave *out NULL, and say in one line which
 * file and line and why.  The inputs are the files in tests/fixtures/lspci/,
 * plus a few made in memory (too big or too odd to keep as files).
 */
#include <errno.h>

#include <peerdma/peerdma.h>

#include "harness.h"

static const struct pdma_cpu_override cpu = {
	.set = true, .vendor = PDMA_CPU_AMD, .family = 0x17,
};

static void check_msg(const char *msg, const char *where, int line,
		      const char *reason)
{
	char prefix[600];

	if (line)
		snprintf(prefix, sizeof(prefix), "%s:%d: ", where, line);
	else
		snprintf(prefix, sizeof(prefix), "%s: ", where);
	if (strncmp(msg, prefix, strlen(prefix)) || !strstr(msg, reason))
		fprintf(stderr, "  got \"%s\"\n  want \"%s...%s...\"\n", msg,
			prefix, reason);
	CHECK(!strncmp(msg, prefix, strlen(prefix)));
	CHECK(strstr(msg, reason));
	CHECK(!strchr(msg, '\n'));
}

/* Load tests/fixtures/lspci/@file: must fail with @ret at @line. */
static void expect_file(const char *file, int ret, int line,
			const char *reason)
{
	struct pdma_fabric *fab = (struct pdma_fabric *)&fab;
	struct pdma_error err = { "" };
	char path[512];

	snprintf(path, sizeof(path), "%s/lspci/%s", harness_fixtures(), file);
	CHECK_EQ_INT(pdma_load_lspci(path, &cpu, &fab, &err), ret);
	CHECK(fab == NULL);
	check_msg(err.msg, path, line, reason);
}

static void expect_mem(const char *name, const char *buf, size_t len,
		       int line, const char *reason)
{
	struct pdma_fabric *fab = (struct pdma_fabric *)&fab;
	struct pdma_error err = { "" };

	CHECK_EQ_INT(pdma_load_lspci_mem(buf, len, name, &cpu, &fab, &err),
		     -EINVAL);
	CHECK(fab == NULL);
	check_msg(err.msg, name, line, reason);
}

#define EXPECT_MEM(name, text, line, reason) \
	expect_mem(name, text, sizeof(text) - 1, line, reason)

/* The header of d1's host bridge, 64 bytes. */
#define HB "00:00.0 Host bridge: Intel Corporation 82G33/G31/P35/P31\n" HB_HEX
#define HB_HEX "00: 86 80 c0 29 03 01 00 00 00 00 00 06 00 00 00 00\n"   \
	   "10: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n"   \
	   "20: 00 00 00 00 00 00 00 00 00 00 00 00 f4 1a 00 11\n"   \
	   "30: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n"

static void check_files(void)
{
	struct pdma_fabric *fab;
	struct pdma_error err;
	char path[512];

	/* The inputs are fine but for the one thing each test breaks. */
	snprintf(path, sizeof(path), "%s/lspci/ok-x.txt", harness_fixtures());
	REQUIRE(pdma_load_lspci(path, &cpu, &fab, &err) == 0);
	CHECK_EQ_INT(pdma_fabric_nr_funcs(fab), 2);
	pdma_fabric_destroy(fab);

	expect_file("bad-hex.txt", -EINVAL, 3, "bad hex byte 'zz' at column 23");
	expect_file("offset-order.txt", -EINVAL, 3,
		    "offset 020 out of order: expected 010");
	expect_file("offset-unaligned.txt", -EINVAL, 3,
		    "offset 018 is not a multiple of 16");
	expect_file("hex-before-device.txt", -EINVAL, 1,
		    "hex line before any device line");
	expect_file("hex-after-blank.txt", -EINVAL, 7,
		    "hex line outside a device block");
	expect_file("duplicate.txt", -EINVAL, 13,
		    "duplicate device: 00:00.0 appears again (first at line 1)");
	expect_file("bytes-missing.txt", -EINVAL, 1,
		    "00:00.0: bytes missing: only 48 bytes");
	expect_file("empty.txt", -EINVAL, 1, "empty: no devices");
	expect_file("truncated.txt", -EINVAL, 5, "truncated line: 6 of 16 bytes");
	expect_file("garbage.txt", -EINVAL, 7, "not lspci -x output");
	expect_file("long-line.txt", -EINVAL, 1, "line too long");
	expect_file("vendor-ffff.txt", -EINVAL, 1,
		    "00:00.0: vendor id is ffff");
	expect_file("no-hex.txt", -EINVAL, 1,
		    "00:00.0 has no hex dump of its configuration space");
	expect_file("cap-loop.txt", -EINVAL, 7,
		    "01:00.0: malformed capability list: it loops");
	expect_file("nul.txt", -EINVAL, 2, "NUL byte");
	expect_file("bad-bdf.txt", -EINVAL, 1,
		    "bad address 00:20.0: device must be 00-1f");
	expect_file("bridge-loop.txt", -EINVAL, 13,
		    "02:00.0: invalid bridge bus numbers: secondary 02");
	expect_file("bridge-conflict.txt", -EINVAL, 13,
		    "00:03.0: bus 01 is already the secondary bus of the bridge at line 7");

	/* Files that are not there or not files. */
	expect_file("no-such-file.txt", -ENOENT, 0,
		    "cannot open: No such file or directory");
	snprintf(path, sizeof(path), "%s/lspci", harness_fixtures());
	fab = (struct pdma_fabric *)&fab;
	CHECK_EQ_INT(pdma_load_lspci(path, &cpu, &fab, &err), -EISDIR);
	CHECK(fab == NULL);
	check_msg(err.msg, path, 0, "cannot read: Is a directory");
}

static void check_mem(void)
{
	struct pdma_fabric *fab;
	struct pdma_error err;
	char *big;
	size_t len = 0;

	/* The text itself is fine: CRLF line ends, trailing blanks, no
	 * final newline. */
	{
		static const char crlf[] =
			"00:00.0 Host bridge\r\n"
			"00: 86 80 c0 29 03 01 00 00 00 00 00 06 00 00 00 00 \r\n"
			"10: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\r\n"
			"20: 00 00 00 00 00 00 00 00 00 00 00 00 f4 1a 00 11\r\n"
			"30: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00";

		REQUIRE(pdma_load_lspci_mem(crlf, sizeof(crlf) - 1, "crlf",
					    &cpu, &fab, &err) == 0);
		CHECK_EQ_INT(pdma_fabric_func(fab, 0)->vendor, 0x8086);
		pdma_fabric_destroy(fab);
	}
	EXPECT_MEM("only-blank", "\n\n  \n", 3, "empty: no devices");
	EXPECT_MEM("null", "", 1, "empty: no devices");
	EXPECT_MEM("indent-first", "\tSubsystem: x\n" HB, 1,
		   "indented line outside a device block");
	EXPECT_MEM("indent-after-hex", HB "\tSubsystem: x\n", 6,
		   "indented line after the hex dump");
	EXPECT_MEM("4-digit-offset", HB "1000: 00\n", 6,
		   "bad offset '1000'");
	EXPECT_MEM("short-offset", "00:00.0 x\n0: 00\n", 2, "bad offset '0'");
	EXPECT_MEM("three-digit-byte", HB "40: 000 00\n", 6,
		   "bad hex at column 4");
	EXPECT_MEM("extra", HB "40: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n",
		   6, "garbage after the 16th byte at column 52");
	EXPECT_MEM("no-bytes", HB "40:\n", 6, "truncated line: 0 of 16 bytes");
	EXPECT_MEM("tab-sep", HB "40:\t00\n", 6, "not lspci -x output");
	EXPECT_MEM("vmd", "10000:00:00.0 x\n00: 86 80\n", 1,
		   "PCI domain 10000 is above ffff");
	EXPECT_MEM("huge-domain", "123456789:00:00.0 x\n", 1,
		   "bad PCI domain '123456789'");
	/* The very last address of the last domain is a function too. */
	EXPECT_MEM("last-address",
		   "ffff:ff:1f.7 x\n" HB_HEX "\nffff:ff:1f.7 x\n" HB_HEX, 7,
		   "duplicate device: ffff:ff:1f.7 appears again (first at line 1)");
	EXPECT_MEM("bad-fn", "00:00.8 x\n", 1, "bad address 00:00.8");
	EXPECT_MEM("glued", "00:00.0x\n", 1, "not lspci -x output");
	EXPECT_MEM("lspci-t", "-[0000:00]-+-00.0\n", 1, "not lspci -x output");
	EXPECT_MEM("header", HB "\n00:01.0 y\n"
		   "00: 86 80 c0 29 03 01 00 00 00 00 00 06 00 00 7f 00\n"
		   "10: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n"
		   "20: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n"
		   "30: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n",
		   7, "00:01.0: unknown header type 0x7f");
	EXPECT_MEM("sub-below-sec", HB "\n00:02.0 bridge\n"
		   "00: 36 1b 0c 00 00 00 00 00 00 00 04 06 00 00 01 00\n"
		   "10: 00 00 00 00 00 00 00 00 00 05 03 00 00 00 00 00\n"
		   "20: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n"
		   "30: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n",
		   7, "secondary 05, subordinate 03 on bus 00");

	/* More than 4096 bytes in one block. */
	big = malloc(300 * 64);
	REQUIRE(big);
	len += (size_t)sprintf(big + len, "00:00.0 x\n");
	for (unsigned off = 0; off <= 4096; off += 16)
		len += (size_t)sprintf(big + len,
				       "%02x: 86 80 c0 29 00 00 00 00 00 00 00 06 00 00 00 00\n",
				       off % 4096);
	expect_mem("big", big, len, 258, "more than the 4096 bytes");
	free(big);
}

int main(void)
{
	check_files();
	check_mem();
	return harness_exit();
}
