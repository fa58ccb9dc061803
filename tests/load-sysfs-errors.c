/* SPDX-License-Identifier: MIT */
/*
 * Malformed sysfs trees: each directory of $PDMA_FIXTURES/sysfs-bad other
 * than good-minimal is a valid tree with one defect (see make-trees.py
 * there), and its expect.txt names the path the message must show and a
 * phrase it must contain.  Each must fail with -EINVAL, one line naming
 * ROOT/<path>, and no fabric.  good-minimal, the tree they all start from,
 * must load.  Also: a ROOT that does not exist, and a ROOT that is a file.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <sys/stat.h>

#include "harness.h"

#include <peerdma/peerdma.h>

static bool read_expect(const char *path, char *where, size_t wsize,
			char *phrase, size_t psize)
{
	FILE *f = fopen(path, "r");
	bool ok;

	if (!f)
		return false;
	ok = fgets(where, (int)wsize, f) && fgets(phrase, (int)psize, f);
	fclose(f);
	where[strcspn(where, "\n")] = '\0';
	phrase[strcspn(phrase, "\n")] = '\0';
	return ok && where[0] && phrase[0];
}

static void check_bad(const char *root, const char *name)
{
	char expect[PATH_MAX], where[512], phrase[256], want[PATH_MAX + 512];
	struct pdma_error err = { { 0 } };
	struct pdma_fabric *fab = (struct pdma_fabric *)&err; /* not NULL */
	int ret;

	REQUIRE(snprintf(expect, sizeof(expect), "%s/expect.txt", root) <
		(int)sizeof(expect));
	if (!read_expect(expect, where, sizeof(where), phrase,
			 sizeof(phrase))) {
		fprintf(stderr, "%s: unreadable\n", expect);
		CHECK(0);
		return;
	}
	ret = pdma_load_sysfs(root, &fab, &err);
	snprintf(want, sizeof(want), "%s/%s", root, where);
	if (ret != -EINVAL || !strstr(err.msg, want) ||
	    !strstr(err.msg, phrase))
		fprintf(stderr, "%s: got %d \"%s\"; want -EINVAL naming %s and saying \"%s\"\n",
			name, ret, err.msg, want, phrase);
	else
		printf("%-18s %s\n", name, err.msg + strlen(root) + 1);
	CHECK_EQ_INT(ret, -EINVAL);
	CHECK(fab == NULL);
	CHECK(strstr(err.msg, want) != NULL);
	CHECK(strstr(err.msg, phrase) != NULL);
	CHECK(strchr(err.msg, '\n') == NULL);
	if (!ret)
		pdma_fabric_destroy(fab);
}

int main(void)
{
	char dir[PATH_MAX], root[PATH_MAX], file[PATH_MAX];
	struct pdma_error err = { { 0 } };
	struct pdma_fabric *fab = NULL;
	struct dirent **list;
	int n, nr_cases = 0, ret;

	snprintf(dir, sizeof(dir), "%s/sysfs-bad", harness_fixtures());

	/* the tree every case starts from is good */
	REQUIRE(snprintf(root, sizeof(root), "%s/good-minimal", dir) <
		(int)sizeof(root));
	ret = pdma_load_sysfs(root, &fab, &err);
	if (ret)
		fprintf(stderr, "good-minimal: %s\n", err.msg);
	CHECK_EQ_INT(ret, 0);
	if (!ret) {
		CHECK_EQ_INT(pdma_fabric_nr_funcs(fab), 3);
		pdma_fabric_destroy(fab);
	}

	n = scandir(dir, &list, NULL, alphasort);
	REQUIRE(n >= 0);
	for (int i = 0; i < n; i++) {
		const char *name = list[i]->d_name;
		struct stat st;

		if (name[0] != '.' && strcmp(name, "good-minimal") &&
		    snprintf(root, sizeof(root), "%s/%s", dir, name) <
			    (int)sizeof(root) &&
		    !stat(root, &st) && S_ISDIR(st.st_mode)) {
			check_bad(root, name);
			nr_cases++;
		}
		free(list[i]);
	}
	free(list);
	printf("%d malformed trees\n", nr_cases);
	CHECK(nr_cases >= 20);

	/* ROOT missing: a failure to read, naming ROOT */
	REQUIRE(snprintf(root, sizeof(root), "%s/no-such-snapshot", dir) <
		(int)sizeof(root));
	fab = (struct pdma_fabric *)&err;
	ret = pdma_load_sysfs(root, &fab, &err);
	CHECK_EQ_INT(ret, -ENOENT);
	CHECK(fab == NULL);
	CHECK(strstr(err.msg, root) != NULL);

	/* ROOT is a file */
	REQUIRE(snprintf(file, sizeof(file), "%s/make-trees.py", dir) <
		(int)sizeof(file));
	ret = pdma_load_sysfs(file, &fab, &err);
	CHECK_EQ_INT(ret, -EINVAL);
	CHECK(fab == NULL);
	CHECK(strstr(err.msg, file) != NULL);
	CHECK(strstr(err.msg, "peerdma snapshot") != NULL);
	return harness_exit();
}
