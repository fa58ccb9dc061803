/* SPDX-License-Identifier: MIT */
/*
 * Malformed topology files: one file in tests/fixtures/json-bad per error
 * path of the loader.  Each must give -EINVAL, no fabric, and one line that
 * names the file, the line (and column) of the offending value, its JSON
 * path and the reason.  Every file in the directory must be in the table,
 * so that a new file cannot go unchecked.  Then every prefix of a good file
 * must fail cleanly (or, at full length, load).
 */
#include <dirent.h>
#include <errno.h>

#include "harness.h"

#include <peerdma/peerdma.h>

/*
 * Under LeakSanitizer: libpci 3.9 leaks a udev handle per name lookup that
 * misses pci.ids when udev's hwdb is absent (see fuzz/lsan.supp); these
 * topologies hold ids that some pci.ids lack.  Not ours.
 */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:udev_new\n";
}

static const struct bad {
	const char *file;
	int line;		/* 0: no position expected */
	const char *path;	/* "": no JSON path (parse errors) */
	const char *why;	/* a distinctive part of the reason */
} bad[] = {
	{ "acs-bad.json", 5,
	  "$.host_bridges[0].children[0].acs",
	  "\"unknown\", not a string" },
	{ "acs-ctrl-and-redirect.json", 5,
	  "$.host_bridges[0].children[0].acs",
	  "either \"ctrl\" or \"redirect\"" },
	{ "acs-ctrl-cap.json", 5,
	  "$.host_bridges[0].children[0].acs.ctrl",
	  "sets bits the capability 0x0001 lacks" },
	{ "acs-redirect-no-cap.json", 5,
	  "$.host_bridges[0].children[0].acs.redirect",
	  "no redirect bits" },
	{ "bad-bdf.json", 5,
	  "$.host_bridges[0].children[0].bdf",
	  "bad address \"00:01.8\"" },
	{ "bad-utf8.json", 3,
	  "",
	  "unable to decode byte 0xe9" },
	{ "bar-64-last.json", 5,
	  "$.host_bridges[0].children[0].bars[0]",
	  "BAR 5 cannot be 64-bit" },
	{ "bar-64-upper.json", 5,
	  "$.host_bridges[0].children[0].bars[1]",
	  "upper half of the 64-bit BAR 0" },
	{ "bar-addr.json", 5,
	  "$.host_bridges[0].children[0].bars[0].addr",
	  "expected an address" },
	{ "bar-flags-and-type.json", 5,
	  "$.host_bridges[0].children[0].bars[0]",
	  "either \"flags\" or \"type\"" },
	{ "bar-io-prefetch.json", 5,
	  "$.host_bridges[0].children[0].bars[0].prefetch",
	  "I/O BAR cannot be prefetchable" },
	{ "bar-no-slot.json", 5,
	  "$.host_bridges[0].children[0].bars[1]",
	  "no BAR slot is left" },
	{ "bar-size-mb.json", 5,
	  "$.host_bridges[0].children[0].bars[1].size",
	  "\"MB\" is ambiguous" },
	{ "bar-size-overflow.json", 5,
	  "$.host_bridges[0].children[0].bars[0].size",
	  "does not fit in 64 bits" },
	{ "bar-size-unit.json", 5,
	  "$.host_bridges[0].children[0].bars[0].size",
	  "unknown unit" },
	{ "bar-twice.json", 5,
	  "$.host_bridges[0].children[0].bars[1]",
	  "BAR 0 is given twice" },
	{ "bar-type.json", 5,
	  "$.host_bridges[0].children[0].bars[0].type",
	  "unknown BAR type \"mem16\"" },
	{ "bar-unknown-key.json", 5,
	  "$.host_bridges[0].children[0].bars[0].sise",
	  "unknown key \"sise\" in a BAR (did you mean \"size\"?)" },
	{ "bars-too-many.json", 5,
	  "$.host_bridges[0].children[0].bars",
	  "at most 6 BARs" },
	{ "bdf-and-dev.json", 5,
	  "$.host_bridges[0].children[0].bdf",
	  "either \"bdf\" or \"bus\"/\"dev\"/\"fn\"" },
	{ "bdf-domain.json", 5,
	  "$.host_bridges[0].children[0].bdf",
	  "domain 0001 differs" },
	{ "bool-type.json", 5,
	  "$.host_bridges[0].children[0].multifunction",
	  "expected true or false" },
	{ "bus-mismatch.json", 6,
	  "$.host_bridges[0].children[0].children[0]",
	  "bus 02, but its bridge's secondary bus is 01" },
	{ "children-not-array.json", 5,
	  "$.host_bridges[0].children[0].children",
	  "expected an array of functions" },
	{ "children-of-endpoint.json", 5,
	  "$.host_bridges[0].children[0].children",
	  "only bridges have children" },
	{ "class-name.json", 5,
	  "$.host_bridges[0].children[0].class",
	  "unknown class \"graphics\"" },
	{ "cmdline-too-long.json", 4,
	  "$.platform.cmdline",
	  "at most 511" },
	{ "cpu-family.json", 4,
	  "$.platform.cpu.family",
	  "5000 is out of range" },
	{ "cpu-vendor.json", 4,
	  "$.platform.cpu.vendor",
	  "unknown CPU vendor \"arm\"" },
	{ "dev-overflow.json", 6,
	  "$.host_bridges[0].children[1]",
	  "no device number is left" },
	{ "dev-range.json", 5,
	  "$.host_bridges[0].children[0].dev",
	  "0x20 is out of range (0x0 to 0x1f)" },
	{ "duplicate-bdf.json", 7,
	  "$.host_bridges[0].children[2]",
	  "0000:00:01.0 is also at $.host_bridges[0].children[0]" },
	{ "duplicate-key.json", 4,
	  "",
	  "duplicate object key" },
	{ "empty.json", 1,
	  "",
	  "expected near end of file" },
	{ "fn-range.json", 5,
	  "$.host_bridges[0].children[0].fn",
	  "8 is out of range (0 to 7)" },
	{ "func-not-object.json", 5,
	  "$.host_bridges[0].children[0]",
	  "a function is an object" },
	{ "func-unknown-key.json", 5,
	  "$.host_bridges[0].children[0].vendr",
	  "unknown key \"vendr\" in a function (did you mean \"vendor\"?)" },
	{ "group-key.json", 5,
	  "$.iommu_groups.group4",
	  "an IOMMU group is a number" },
	{ "group-type.json", 4,
	  "$.iommu_groups[\"3\"]",
	  "unknown domain type \"paging\"" },
	{ "hb-bus-range.json", 4,
	  "$.host_bridges[0].bus",
	  "0x100 is out of range" },
	{ "hb-children-not-array.json", 4,
	  "$.host_bridges[0].children",
	  "expected an array of functions" },
	{ "hb-duplicate.json", 5,
	  "$.host_bridges[1]",
	  "host bridge 0000:40 is declared twice" },
	{ "hb-name-too-long.json", 4,
	  "$.host_bridges[0].name",
	  "at most 23" },
	{ "hb-not-object.json", 4,
	  "$.host_bridges[0]",
	  "a host bridge is an object" },
	{ "host-bridges-not-array.json", 3,
	  "$.host_bridges",
	  "expected an array of host bridges" },
	{ "iommu-not-bool.json", 4,
	  "$.platform.iommu",
	  "expected true or false" },
	{ "label-auto-clash.json", 7,
	  "$.host_bridges[0].children[2]",
	  "\"nvme1\" is also the automatic label of 0000:00:02.0" },
	{ "label-bdf.json", 5,
	  "$.host_bridges[0].children[0].label",
	  "looks like an address" },
	{ "label-duplicate.json", 6,
	  "$.host_bridges[0].children[1]",
	  "label \"gpu\" is also given at $.host_bridges[0].children[0]" },
	{ "label-space.json", 5,
	  "$.host_bridges[0].children[0].label",
	  "may not hold spaces" },
	{ "link-bad.json", 5,
	  "$.host_bridges[0].children[0].link",
	  "bad link \"gen7 x16\"" },
	{ "link-mixed.json", 5,
	  "$.host_bridges[0].children[0].link",
	  "either \"cur\"/\"max\" or \"gen\"/\"width\"" },
	{ "link-type.json", 5,
	  "$.host_bridges[0].children[0].link",
	  "expected a link" },
	{ "link-width.json", 5,
	  "$.host_bridges[0].children[0].link.width",
	  "64 is out of range (1 to 32)" },
	{ "no-host-bridges.json", 1,
	  "$",
	  "missing \"host_bridges\"" },
	{ "no-schema.json", 1,
	  "$",
	  "missing \"schema\": \"peerdma-topology/1\"" },
	{ "not-a-number.json", 5,
	  "$.host_bridges[0].children[0].device",
	  "\"12g4\" is not a number" },
	{ "not-object.json", 1,
	  "$",
	  "holds one object, not an array" },
	{ "notes-not-strings.json", 5,
	  "$.notes[1]",
	  "expected a string, not an integer" },
	{ "out-of-buses.json", 5,
	  "$.host_bridges[0].children[0]",
	  "no bus number is left" },
	{ "p2pmem-available.json", 5,
	  "$.host_bridges[0].children[0].p2pmem.available",
	  "more is available than the size" },
	{ "p2pmem-no-size.json", 5,
	  "$.host_bridges[0].children[0].p2pmem",
	  "needs a \"size\"" },
	{ "pcie-type-range.json", 5,
	  "$.host_bridges[0].children[0].pcie_type",
	  "0x10 is out of range" },
	{ "platform-not-object.json", 3,
	  "$.platform",
	  "expected an object" },
	{ "platform-unknown-key.json", 4,
	  "$.platform.iomu",
	  "unknown key \"iomu\" in the platform (did you mean \"iommu\"?)" },
	{ "range-outside.json", 6,
	  "$.host_bridges[0].children[0].children[0]",
	  "bus range 03-03 does not lie inside its bridge's range 01-02" },
	{ "real-number.json", 5,
	  "$.host_bridges[0].children[0].numa_node",
	  "not a real number" },
	{ "root-bus-mismatch.json", 5,
	  "$.host_bridges[0].children[0]",
	  "bus 01, but its host bridge's root bus is 00" },
	{ "schema-not-string.json", 2,
	  "$.schema",
	  "expected the string" },
	{ "schema-other.json", 2,
	  "$.schema",
	  "is not a peerdma topology schema" },
	{ "schema-version.json", 2,
	  "$.schema",
	  "unsupported schema \"peerdma-topology/2\"" },
	{ "sec-on-endpoint.json", 5,
	  "$.host_bridges[0].children[0].secondary_bus",
	  "only bridges have secondary" },
	{ "secondary-clash.json", 6,
	  "$.host_bridges[0].children[1]",
	  "secondary bus 01 is already taken by the bridge" },
	{ "secondary-hb-clash.json", 5,
	  "$.host_bridges[0].children[0]",
	  "secondary bus 40 is already taken by the root bus" },
	{ "sibling-bus.json", 8,
	  "$.host_bridges[0].children[0].children[0].children[1]",
	  "its sibling at" },
	{ "string-type.json", 5,
	  "$.host_bridges[0].children[0].name",
	  "expected a string, not an integer" },
	{ "subordinate-below.json", 5,
	  "$.host_bridges[0].children[0]",
	  "subordinate bus 04 is below the secondary bus 05" },
	{ "syntax-error.json", 4,
	  "",
	  "string or '}' expected" },
	{ "too-deep.json", 5,
	  "$.host_bridges[0].children[0].children[0]....children[0].children[0].children[0].children",
	  "nest more than 256 deep" },
	{ "unknown-kind.json", 5,
	  "$.host_bridges[0].children[0].kind",
	  "unknown kind \"switch\"" },
	{ "unknown-top-key.json", 3,
	  "$.host_bridge",
	  "unknown key \"host_bridge\" in the top level (did you mean \"host_bridges\"?)" },
	{ "vendor-range.json", 5,
	  "$.host_bridges[0].children[0].vendor",
	  "0x12345 is out of range" },
};

#define NR_BAD (sizeof(bad) / sizeof(bad[0]))

static void check_one(const char *dir, const struct bad *b)
{
	struct pdma_fabric *fab = (struct pdma_fabric *)&fab;
	struct pdma_error err = { "" };
	char name[4096], want[4200];
	int ret;

	snprintf(name, sizeof(name), "%s/%s", dir, b->file);
	ret = pdma_load_json(name, &fab, &err);
	if (ret != -EINVAL || fab)
		fprintf(stderr, "%s: %d: %s\n", b->file, ret, err.msg);
	CHECK_EQ_INT(ret, -EINVAL);
	CHECK(fab == NULL);
	CHECK(strchr(err.msg, '\n') == NULL);
	/* FILE:LINE:COL: first, then "at PATH: ", then the reason. */
	if (b->line)
		snprintf(want, sizeof(want), "%s:%d:", name, b->line);
	else
		snprintf(want, sizeof(want), "%s: ", name);
	if (strncmp(err.msg, want, strlen(want)))
		fprintf(stderr, "%s: message does not start with \"%s\": %s\n",
			b->file, want, err.msg);
	CHECK(!strncmp(err.msg, want, strlen(want)));
	if (b->path[0]) {
		snprintf(want, sizeof(want), ": at %s: ", b->path);
		if (!strstr(err.msg, want))
			fprintf(stderr, "%s: no \"%s\" in: %s\n", b->file, want,
				err.msg);
		CHECK(strstr(err.msg, want) != NULL);
	}
	if (!strstr(err.msg, b->why))
		fprintf(stderr, "%s: no \"%s\" in: %s\n", b->file, b->why,
			err.msg);
	CHECK(strstr(err.msg, b->why) != NULL);
}

/* Every file is in the table, every table entry has its file. */
static void check_coverage(const char *dir)
{
	bool seen[NR_BAD] = { false };
	struct dirent *de;
	DIR *d = opendir(dir);

	REQUIRE(d);
	while ((de = readdir(d))) {
		size_t i;

		if (de->d_name[0] == '.')
			continue;
		for (i = 0; i < NR_BAD; i++)
			if (!strcmp(bad[i].file, de->d_name))
				break;
		if (i == NR_BAD)
			fprintf(stderr, "%s is not in the table\n", de->d_name);
		CHECK(i < NR_BAD);
		if (i < NR_BAD)
			seen[i] = true;
	}
	closedir(d);
	for (size_t i = 0; i < NR_BAD; i++) {
		if (!seen[i])
			fprintf(stderr, "%s is missing\n", bad[i].file);
		CHECK(seen[i]);
	}
}

/* A file cut short anywhere is an error, never a crash or a fabric. */
static void check_prefixes(const char *root)
{
	struct pdma_error err;
	char path[4096], *buf;
	size_t len;
	long n;
	FILE *f;
	int fails = 0;

	snprintf(path, sizeof(path), "%s/tests/topologies/e5-2socket.json",
		 root);
	f = fopen(path, "rb");
	REQUIRE(f);
	REQUIRE(fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0);
	len = (size_t)n;
	rewind(f);
	buf = malloc(len);
	REQUIRE(buf && fread(buf, 1, len, f) == len);
	fclose(f);
	for (size_t l = 0; l <= len; l++) {
		struct pdma_fabric *fab = NULL;
		int ret = pdma_load_json_mem(buf, l, "cut.json", &fab, &err);

		/* Only trailing whitespace may be cut from a good file. */
		if (l >= len - 1) {
			CHECK_EQ_INT(ret, 0);
			pdma_fabric_destroy(fab);
			continue;
		}
		if (ret != -EINVAL || fab || strncmp(err.msg, "cut.json:", 9))
			fails++;
		pdma_fabric_destroy(fab);
	}
	CHECK_EQ_INT(fails, 0);
	free(buf);
}

int main(void)
{
	const char *root = getenv("PDMA_SOURCE_ROOT");
	char dir[2048];

	if (!root)
		root = ".";
	snprintf(dir, sizeof(dir), "%s/tests/fixtures/json-bad", root);
	check_coverage(dir);
	for (size_t i = 0; i < NR_BAD; i++)
		check_one(dir, &bad[i]);
	check_prefixes(root);
	return harness_exit();
}
