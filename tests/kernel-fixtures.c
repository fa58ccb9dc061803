/* SPDX-License-Identifier: MIT */
/*
 * Agreement with the kernel: every directory of $PDMA_FIXTURES/kernel is a
 * sysfs capture of a QEMU machine together with p2p_matrix.txt, the verdict
 * that Linux 6.12 itself computed for every ordered pair of non-bridge
 * functions.  Load each capture with pdma_load_sysfs() and require:
 *
 *   - the model's non-bridge functions are exactly the matrix's;
 *   - every pair's distance equals pdma_verdict_map_type()'s;
 *   - where the kernel mapped memory (dma_map not '-'), the map type name
 *     matches;
 *   - p2pmem=1 exactly for the functions whose p2pmem is published.
 *
 * 100% agreement; the directories are found, not listed here.
 */
#include <dirent.h>
#include <stdarg.h>
#include <limits.h>
#include <sys/stat.h>

#include "harness.h"

#include <peerdma/peerdma.h>

struct counts {
	int pairs, mapped, bad;
};

static void report(const char *fx, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void report(const char *fx, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s/p2p_matrix.txt:%d: ", fx, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* One matrix line: check it; record the functions it names in @seen. */
static void check_line(struct pdma_fabric *fab, const char *fx, int lineno,
		       const char *line, bool *seen, struct counts *c)
{
	char p[32], cl[32], map[32];
	int dist, p2pmem, n = 0, pi, ci, d = -99;
	enum pdma_map_type t;
	const struct pdma_func_info *pf;

	if (sscanf(line, "%31s %31s distance=%d p2pmem=%d dma_map=%31s%n", p,
		   cl, &dist, &p2pmem, map, &n) != 5 || line[n] != '\0') {
		report(fx, lineno, "unparsable line \"%s\"", line);
		CHECK(0);
		return;
	}
	pi = pdma_fabric_lookup(fab, p);
	ci = pdma_fabric_lookup(fab, cl);
	if (pi < 0 || ci < 0) {
		report(fx, lineno, "%s or %s is not in the loaded model", p,
		       cl);
		CHECK(0);
		return;
	}
	seen[pi] = seen[ci] = true;
	c->pairs++;
	t = pdma_verdict_map_type(fab, pi, ci, &d);
	if (d != dist) {
		report(fx, lineno, "%s -> %s: kernel distance %d, peerdma %d",
		       p, cl, dist, d);
		c->bad++;
	}
	CHECK_EQ_INT(d, dist);
	if (strcmp(map, "-")) {
		c->mapped++;
		if (strcmp(map, pdma_map_type_name(t))) {
			report(fx, lineno, "%s -> %s: kernel mapped %s, peerdma says %s",
			       p, cl, map, pdma_map_type_name(t));
			c->bad++;
		}
		CHECK_STR(pdma_map_type_name(t), map);
	}
	pf = pdma_fabric_func(fab, pi);
	CHECK_EQ_INT(pf->p2pmem.present && pf->p2pmem.published, p2pmem);
}

static void check_fixture(const char *dir, const char *name)
{
	char path[PATH_MAX], line[256];
	struct pdma_error err = { { 0 } };
	struct pdma_fabric *fab = NULL;
	struct counts c = { 0 };
	int lineno = 0, ret, nr;
	bool *seen;
	FILE *f;

	REQUIRE(snprintf(path, sizeof(path), "%s/%s", dir, name) <
		(int)sizeof(path));
	ret = pdma_load_sysfs(path, &fab, &err);
	if (ret) {
		fprintf(stderr, "%s: load failed (%d): %s\n", name, ret,
			err.msg);
		CHECK_EQ_INT(ret, 0);
		return;
	}
	nr = pdma_fabric_nr_funcs(fab);
	seen = calloc((size_t)nr + 1, sizeof(*seen));
	REQUIRE(seen);
	REQUIRE(snprintf(path, sizeof(path), "%s/%s/p2p_matrix.txt", dir,
			 name) < (int)sizeof(path));
	f = fopen(path, "r");
	CHECK(f != NULL);
	while (f && fgets(line, sizeof(line), f)) {
		lineno++;
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '#' || !line[0])
			continue;
		check_line(fab, name, lineno, line, seen, &c);
	}
	if (f)
		fclose(f);
	/* the matrix covers exactly the non-bridge functions */
	for (int i = 0; i < nr; i++) {
		const struct pdma_func_info *fi = pdma_fabric_func(fab, i);
		char bdf[16];

		if (seen[i] == !pdma_fabric_is_bridge(fi))
			continue;
		fprintf(stderr, "%s: %s is %s the matrix but is %sa bridge\n",
			name, pdma_bdf_format(fi, bdf, sizeof(bdf)),
			seen[i] ? "in" : "not in", seen[i] ? "" : "not ");
		CHECK(0);
	}
	/* n non-bridge functions give n * n ordered pairs */
	{
		int nb = 0;

		for (int i = 0; i < nr; i++)
			nb += !pdma_fabric_is_bridge(pdma_fabric_func(fab, i));
		CHECK_EQ_INT(c.pairs, nb * nb);
	}
	CHECK(c.pairs > 0);
	printf("%s: %d pairs compared (%d with a mapping), %d disagreements\n",
	       name, c.pairs, c.mapped, c.bad);
	free(seen);
	pdma_fabric_destroy(fab);
}

int main(void)
{
	char dir[PATH_MAX];
	struct dirent **list;
	int n, nr_fixtures = 0;

	snprintf(dir, sizeof(dir), "%s/kernel", harness_fixtures());
	n = scandir(dir, &list, NULL, alphasort);
	if (n < 0) {
		fprintf(stderr, "%s: cannot list\n", dir);
		return 1;
	}
	for (int i = 0; i < n; i++) {
		char path[PATH_MAX];
		struct stat st;

		if (list[i]->d_name[0] != '.' &&
		    snprintf(path, sizeof(path), "%s/%s/p2p_matrix.txt", dir,
			     list[i]->d_name) < (int)sizeof(path) &&
		    !stat(path, &st)) {
			check_fixture(dir, list[i]->d_name);
			nr_fixtures++;
		}
		free(list[i]);
	}
	free(list);
	printf("%d fixtures\n", nr_fixtures);
	CHECK(nr_fixtures > 0);
	return harness_exit();
}
