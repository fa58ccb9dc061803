/* SPDX-License-Identifier: MIT */
/*
 * Exports.  pdma_export_json() from every kind of source (the kernel
 * fixtures through sysfs and through their lspci dumps, the presets, the
 * topology files) must be exact: loading the output gives the same model
 * (every field, the same verdict for every pair) and exporting that again
 * gives the same bytes.  pdma_export_qemu() must give, for each kernel
 * fixture, the same QEMU devices as the arguments the fixture was really
 * made with (tests/fixtures/kernel/<name>.qemu-args), and well-formed
 * arguments for every other source.
 */
#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

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

static char *export_json(const struct pdma_fabric *fab, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	REQUIRE(f);
	CHECK_EQ_INT(pdma_export_json(fab, f), 0);
	REQUIRE(fclose(f) == 0);
	return buf;
}

static char *export_qemu(const struct pdma_fabric *fab)
{
	char *buf = NULL;
	size_t len;
	FILE *f = open_memstream(&buf, &len);

	REQUIRE(f);
	CHECK_EQ_INT(pdma_export_qemu(fab, f), 0);
	REQUIRE(fclose(f) == 0);
	return buf;
}

#define SAME(name, field)                                                   \
	do {                                                                 \
		if (a->field != b->field) {                                  \
			fprintf(stderr, "%s: %s: " #field " %lld != %lld\n", \
				name, bdf, (long long)a->field,              \
				(long long)b->field);                        \
			bad++;                                               \
		}                                                            \
	} while (0)

static int same_func(const char *name, const struct pdma_func_info *a,
		     const struct pdma_func_info *b)
{
	char bdf[16];
	int bad = 0;

	pdma_bdf_format(a, bdf, sizeof(bdf));
	SAME(name, domain); SAME(name, bus); SAME(name, dev); SAME(name, fn);
	SAME(name, vendor); SAME(name, device); SAME(name, subsys_vendor);
	SAME(name, subsys_device); SAME(name, revision); SAME(name, class_code);
	SAME(name, header_type); SAME(name, multifunction);
	SAME(name, pcie_type); SAME(name, secondary_bus);
	SAME(name, subordinate_bus);
	for (int i = 0; i < 6; i++) {
		SAME(name, bars[i].addr); SAME(name, bars[i].size);
		SAME(name, bars[i].flags);
	}
	SAME(name, link_cur.gen); SAME(name, link_cur.width);
	SAME(name, link_max.gen); SAME(name, link_max.width);
	SAME(name, numa_node); SAME(name, p2pmem.present);
	SAME(name, p2pmem.size); SAME(name, p2pmem.available);
	SAME(name, p2pmem.published); SAME(name, acs_known);
	SAME(name, has_acs); SAME(name, acs_cap); SAME(name, acs_ctrl);
	SAME(name, iommu_group); SAME(name, parent); SAME(name, host_bridge);
	SAME(name, role); SAME(name, depth); SAME(name, index);
	if (strcmp(a->driver, b->driver) || strcmp(a->label, b->label) ||
	    strcmp(a->name, b->name)) {
		fprintf(stderr, "%s: %s: driver/label/name differ\n", name, bdf);
		bad++;
	}
	return bad;
}

/* @b, loaded from @a's export, is the same model as @a. */
static void same_model(const char *name, struct pdma_fabric *a,
		       struct pdma_fabric *b)
{
	const struct pdma_platform_info *pa = pdma_fabric_platform(a);
	const struct pdma_platform_info *pb = pdma_fabric_platform(b);
	int n = pdma_fabric_nr_funcs(a), bad = 0, diff = 0;

	CHECK_EQ_INT(pdma_fabric_nr_funcs(b), n);
	CHECK_EQ_INT(pdma_fabric_nr_host_bridges(b),
		     pdma_fabric_nr_host_bridges(a));
	if (pdma_fabric_nr_funcs(b) != n ||
	    pdma_fabric_nr_host_bridges(b) != pdma_fabric_nr_host_bridges(a))
		return;
	for (int i = 0; i < n; i++) {
		int g = pdma_fabric_func(a, i)->iommu_group;

		bad += same_func(name, pdma_fabric_func(a, i),
				 pdma_fabric_func(b, i));
		if (pdma_fabric_iommu_group_type(a, g) !=
		    pdma_fabric_iommu_group_type(b, g))
			bad++;
	}
	for (int h = 0; h < pdma_fabric_nr_host_bridges(a); h++) {
		const struct pdma_host_bridge_info *x =
			pdma_fabric_host_bridge(a, h);
		const struct pdma_host_bridge_info *y =
			pdma_fabric_host_bridge(b, h);

		bad += x->domain != y->domain || x->bus != y->bus ||
		       x->numa_node != y->numa_node ||
		       x->root_func != y->root_func ||
		       strcmp(x->name, y->name) ||
		       strcmp(x->firmware_path, y->firmware_path);
	}
	bad += pa->cpu_vendor != pb->cpu_vendor ||
	       pa->cpu_family != pb->cpu_family || pa->iommu != pb->iommu ||
	       strcmp(pa->cpu_model, pb->cpu_model) ||
	       strcmp(pa->cpu_source, pb->cpu_source) ||
	       strcmp(pa->cmdline, pb->cmdline) ||
	       strcmp(pa->source, pb->source);
	CHECK_EQ_INT(pdma_fabric_nr_notes(b), pdma_fabric_nr_notes(a));
	for (int i = 0; i < pdma_fabric_nr_notes(a) &&
			i < pdma_fabric_nr_notes(b); i++)
		CHECK_STR(pdma_fabric_note(b, i), pdma_fabric_note(a, i));
	if (bad)
		fprintf(stderr, "%s: %d differences after the round trip\n",
			name, bad);
	CHECK_EQ_INT(bad, 0);
	/* And so every verdict is the same. */
	for (int p = 0; p < n; p++)
		for (int c = 0; c < n; c++) {
			int da = -9, db = -9;

			if (pdma_verdict_map_type(a, p, c, &da) !=
				    pdma_verdict_map_type(b, p, c, &db) ||
			    da != db)
				diff++;
		}
	CHECK_EQ_INT(diff, 0);
}

/*
 * QEMU arguments are well-formed: every line an option or a comment, ids
 * unique, every bus= an id defined on an earlier line (or pcie.0).
 */
static void qemu_well_formed(const char *name, const char *args)
{
	char ids[512][32];
	int nr_ids = 0, bad = 0;
	const char *line = args;

	while (*line) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		char buf[1024];

		if (len >= sizeof(buf))
			len = sizeof(buf) - 1;
		memcpy(buf, line, len);
		buf[len] = '\0';
		line += len + (end ? 1 : 0);
		if (buf[0] == '#')
			continue;
		if (buf[0] != '-') {
			fprintf(stderr, "%s: stray line: %s\n", name, buf);
			bad++;
			continue;
		}
		for (char *b = strstr(buf, "bus="); b; b = strstr(b + 1, "bus=")) {
			char id[32];
			int k, known = 0;

			if (b[-1] != ',')	/* numa... "bus_nr=" is not one */
				continue;
			for (k = 0; k < 31 && b[4 + k] && b[4 + k] != ','; k++)
				id[k] = b[4 + k];
			id[k] = '\0';
			known = !strcmp(id, "pcie.0");
			for (int j = 0; j < nr_ids && !known; j++)
				known = !strcmp(ids[j], id);
			if (!known) {
				fprintf(stderr, "%s: bus=%s used before it exists\n",
					name, id);
				bad++;
			}
		}
		for (char *d = strstr(buf, "-device "); d; d = strstr(d + 1, "-device ")) {
			char *i = strstr(d, ",id=");
			int k;

			if (!i || (strchr(d + 8, ' ') && strchr(d + 8, ' ') < i))
				continue;
			for (k = 0; k < 31 && i[4 + k] && i[4 + k] != ','; k++)
				ids[nr_ids][k] = i[4 + k];
			ids[nr_ids][k] = '\0';
			for (int j = 0; j < nr_ids; j++)
				if (!strcmp(ids[j], ids[nr_ids])) {
					fprintf(stderr, "%s: id %s twice\n", name,
						ids[j]);
					bad++;
				}
			if (nr_ids < 511)
				nr_ids++;
		}
	}
	CHECK_EQ_INT(bad, 0);
}

/* Occurrences of @what outside comment lines. */
static int count(const char *args, const char *what)
{
	size_t wl = strlen(what);
	int n = 0;

	while (*args) {
		size_t len = strcspn(args, "\n");

		if (*args != '#')
			for (const char *h = args;
			     (h = memmem(h, len - (size_t)(h - args), what, wl));
			     h += wl)
				n++;
		args += len + (args[len] == '\n');
	}
	return n;
}

/* An option string of @fixture's arguments appears in @ours, as often. */
static void same_count(const char *name, const char *fixture, const char *ours,
		       const char *what)
{
	int want = count(fixture, what), got = count(ours, what);

	if (want != got)
		fprintf(stderr, "%s: \"%s\" %d times, in the fixture %d\n",
			name, what, got, want);
	CHECK_EQ_INT(got, want);
}

static char *slurp(const char *path)
{
	struct stat st;
	char *buf;
	FILE *f = fopen(path, "r");

	REQUIRE(f && fstat(fileno(f), &st) == 0);
	buf = calloc(1, (size_t)st.st_size + 1);
	REQUIRE(buf && fread(buf, 1, (size_t)st.st_size, f) ==
			       (size_t)st.st_size);
	fclose(f);
	return buf;
}

static void qemu_vs_fixture(const char *fx, struct pdma_fabric *fab)
{
	static const char *const kinds[] = {
		"-device pcie-root-port", "-device x3130-upstream",
		"-device xio3130-downstream", "-device pxb-pcie",
		"-device nvme,", "cmb_size_mb=16", "-device e1000e",
		"-device ivshmem-plain", "-device intel-iommu",
		"multifunction=on", "disable-acs=true", "-numa node",
		"size=8M -device ivshmem-plain",
	};
	char path[4096], *want, *ours = export_qemu(fab);
	const char *l;

	snprintf(path, sizeof(path), "%s/kernel/%s.qemu-args",
		 harness_fixtures(), fx);
	want = slurp(path);
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		same_count(fx, want, ours, kinds[i]);
	/* Options that place things: pxb bus numbers and nodes, links. */
	for (l = strstr(want, "bus_nr="); l; l = strstr(l + 1, "bus_nr=")) {
		/* "bus_nr=0x40,numa_node=0": the bus and its node. */
		size_t n = strcspn(l, ",\n");
		char opt[40];

		if (l[n] == ',')
			n += 1 + strcspn(l + n + 1, ",\n");
		snprintf(opt, sizeof(opt), "%.*s", (int)n, l);
		if (!strstr(ours, opt))
			fprintf(stderr, "%s: no \"%s\"\n", fx, opt);
		CHECK(strstr(ours, opt) != NULL);
	}
	for (l = strstr(want, "x-speed="); l; l = strstr(l + 1, "x-speed=")) {
		char opt[40];

		snprintf(opt, sizeof(opt), "%.*s", (int)strcspn(l, "\n"), l);
		CHECK(strstr(ours, opt) != NULL);
	}
	if (strstr(want, "addr=0x1c.0,multifunction=on"))
		CHECK(strstr(ours, "addr=0x1c.0,multifunction=on") != NULL);
	CHECK_EQ_INT(count(ours, "-M q35"), 1);
	CHECK_EQ_INT(count(ours, "-cpu EPYC"),
		     pdma_fabric_platform(fab)->cpu_family >= 0x17);
	qemu_well_formed(fx, ours);
	free(want);
	free(ours);
}

/* Export, load, export: same model, same bytes. */
static void round_trip(const char *name, struct pdma_fabric *fab)
{
	struct pdma_fabric *again = NULL;
	struct pdma_error err = { "" };
	size_t l1, l2, l3;
	char *e1 = export_json(fab, &l1), *e2, *e3, *q;
	int ret;

	ret = pdma_load_json_mem(e1, l1, name, &again, &err);
	if (ret)
		fprintf(stderr, "%s: reloading the export: %s\n", name, err.msg);
	CHECK_EQ_INT(ret, 0);
	if (!ret) {
		e2 = export_json(again, &l2);
		if (l1 != l2 || memcmp(e1, e2, l1))
			fprintf(stderr, "%s: the second export differs\n", name);
		CHECK(l1 == l2 && !memcmp(e1, e2, l1));
		same_model(name, fab, again);
		free(e2);
	}
	/* Deterministic: the same fabric twice, the same bytes. */
	e3 = export_json(fab, &l3);
	CHECK(l1 == l3 && !memcmp(e1, e3, l1));
	q = export_qemu(fab);
	qemu_well_formed(name, q);
	free(q);
	free(e3);
	free(e1);
	pdma_fabric_destroy(again);
}

static void topology_dir(const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int n = 0;

	REQUIRE(d);
	while ((de = readdir(d))) {
		struct pdma_fabric *fab = NULL;
		struct pdma_error err;
		char p[4096];
		size_t l = strlen(de->d_name);

		if (l < 6 || strcmp(de->d_name + l - 5, ".json"))
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		REQUIRE(pdma_load_json(p, &fab, &err) == 0);
		round_trip(p, fab);
		pdma_fabric_destroy(fab);
		n++;
	}
	closedir(d);
	CHECK(n > 0);
}

/* Every tests/fixtures/kernel/<name>/, through sysfs and through lspci. */
static int kernel_fixtures(const char *dir)
{
	static const struct pdma_cpu_override zen = {
		.set = true, .vendor = PDMA_CPU_AMD, .family = 0x17,
	};
	struct dirent **ents;
	int n = scandir(dir, &ents, NULL, alphasort), done = 0;

	REQUIRE(n > 0);
	for (int i = 0; i < n; i++) {
		const char *fx = ents[i]->d_name;
		struct pdma_fabric *fab;
		struct pdma_error err;
		char p[8192];
		struct stat st;

		snprintf(p, sizeof(p), "%s/%s", dir, fx);
		if (fx[0] == '.' || stat(p, &st) || !S_ISDIR(st.st_mode)) {
			free(ents[i]);
			continue;
		}
		if (pdma_load_sysfs(p, &fab, &err)) {
			fprintf(stderr, "%s: %s\n", p, err.msg);
			exit(1);
		}
		round_trip(fx, fab);
		snprintf(p, sizeof(p), "%s/%s.qemu-args", dir, fx);
		if (!access(p, R_OK))
			qemu_vs_fixture(fx, fab);
		pdma_fabric_destroy(fab);

		snprintf(p, sizeof(p), "%s/%s/lspci-xxxx.txt", dir, fx);
		REQUIRE(pdma_load_lspci(p, &zen, &fab, &err) == 0);
		round_trip(p, fab);
		pdma_fabric_destroy(fab);
		free(ents[i]);
		done++;
	}
	free(ents);
	return done;
}

int main(void)
{
	const char *root = getenv("PDMA_SOURCE_ROOT");
	struct pdma_fabric *fab;
	struct pdma_error err;
	char p[4096];

	if (!root)
		root = ".";
	snprintf(p, sizeof(p), "%s/kernel", harness_fixtures());
	CHECK(kernel_fixtures(p) >= 4);
	for (int i = 0; pdma_preset_name(i); i++) {
		REQUIRE(pdma_load_preset(pdma_preset_name(i), &fab, &err) == 0);
		round_trip(pdma_preset_name(i), fab);
		pdma_fabric_destroy(fab);
	}
	snprintf(p, sizeof(p), "%s/tests/topologies", root);
	topology_dir(p);
	snprintf(p, sizeof(p), "%s/docs/examples", root);
	topology_dir(p);
	return harness_exit();
}
