// SPDX-License-Identifier: MIT
/*
 * The walk of a sysfs PCI device tree: host bridge directories
 * (sys/devices/pciDDDD:BB) and the function directories nested below them
 * along the real path (root port, switch ports, endpoint), then the check
 * of sys/bus/pci/devices against what the walk found.
 *
 *   sys/devices/pci0000:40/                       host bridge
 *   sys/devices/pci0000:40/0000:40:00.0/          root port (parent NONE)
 *   sys/devices/pci0000:40/0000:40:00.0/0000:41:00.0/   below it
 *   sys/bus/pci/devices/0000:41:00.0 -> ../../../devices/pci0000:40/...
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sysfs.h"

/* Deeper than any real PCIe hierarchy; guards against crafted trees. */
#define MAX_DEPTH	64

struct scan {
	struct pdma__sysfs_tree *t;
	struct pdma_error *err;
	int nr_vmd;		/* functions in domains past 0xffff */
	char vmd_example[64];
	int *by_rel;		/* fn indices sorted by rel, for lookups */
	int nr_by_rel;		/* functions in by_rel (the walk may add) */
};

static int grow(void **arr, int *cap, int need, size_t elem)
{
	int ncap = *cap ? *cap * 2 : 32;
	void *p;

	if (need <= *cap)
		return 0;
	while (ncap < need)
		ncap *= 2;
	p = realloc(*arr, (size_t)ncap * elem);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = ncap;
	return 0;
}

static int tree_note(struct pdma__sysfs_tree *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int tree_note(struct pdma__sysfs_tree *t, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = pdma__notes_vadd(&t->notes, &t->nr_notes, fmt, ap);
	va_end(ap);
	return ret;
}

static int cmp_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static void free_list(struct dirent **list, int n)
{
	for (int i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

/* The directory @rel, sorted by name; -errno with a message on failure. */
static int list_dir(struct scan *s, const char *rel, struct dirent ***list)
{
	char full[PATH_MAX];
	int n;

	if (pdma__sysfs_full(s->t, rel, NULL, full, sizeof(full)))
		return -ENAMETOOLONG;
	n = scandir(full, list, NULL, cmp_name);
	if (n < 0) {
		n = -errno;
		pdma__err(s->err, "%s: cannot list: %s", full, strerror(-n));
	}
	return n;
}

/*
 * "pciDDDD:BB": 0 and the address; -ERANGE for a domain past 0xffff;
 * -EINVAL for "pci...:..." that is malformed; -ENOENT for other names.
 */
static int parse_hb_name(const char *name, uint16_t *domain, uint8_t *bus)
{
	char bdf[32];
	uint8_t dev, fn;

	if (strncmp(name, "pci", 3) || !strchr(name, ':'))
		return -ENOENT;
	if (snprintf(bdf, sizeof(bdf), "%s:00.0", name + 3) >=
	    (int)sizeof(bdf))
		return -EINVAL;
	return pdma__parse_bdf_name(bdf, domain, bus, &dev, &fn);
}

static int add_hb(struct scan *s, const char *rel, uint16_t domain,
		  uint8_t bus, int *idx)
{
	struct pdma__sysfs_tree *t = s->t;
	char *r;

	if (grow((void **)&t->hbs, &t->cap_hbs, t->nr_hbs + 1,
		 sizeof(*t->hbs)))
		return -ENOMEM;
	r = strdup(rel);
	if (!r)
		return -ENOMEM;
	t->hbs[t->nr_hbs] = (struct pdma__sysfs_hb){ r, domain, bus };
	*idx = t->nr_hbs++;
	return 0;
}

static int walk(struct scan *s, const char *rel, int parent, int hb,
		int depth);

/* One entry @name of directory @rel that may be a function. */
static int walk_entry(struct scan *s, const char *rel, const char *name,
		      int parent, int hb, int depth)
{
	struct pdma__sysfs_tree *t = s->t;
	const struct pdma__sysfs_hb *h = &t->hbs[hb];
	char crel[PATH_MAX], full[PATH_MAX];
	struct pdma__sysfs_fn *f;
	uint16_t domain;
	uint8_t bus, dev, fn;
	struct stat st;
	int ret, idx;

	if (!pdma__looks_like_bdf(name))
		return 0;
	if (pdma__path_join(crel, sizeof(crel), rel, name) ||
	    pdma__sysfs_full(t, crel, NULL, full, sizeof(full))) {
		pdma__err(s->err, "%s/%s: path too long", rel, name);
		return -EINVAL;
	}
	if (lstat(full, &st)) {
		ret = -errno;
		pdma__err(s->err, "%s: %s", full, strerror(-ret));
		return ret;
	}
	if (S_ISLNK(st.st_mode))
		return 0;	/* function directories are never links */
	if (!S_ISDIR(st.st_mode)) {
		pdma__err(s->err, "%s: not a directory, but named like a PCI function",
			  full);
		return -EINVAL;
	}
	ret = pdma__parse_bdf_name(name, &domain, &bus, &dev, &fn);
	if (ret) {
		pdma__err(s->err, "%s: \"%s\" is not a PCI function address (expected DDDD:BB:DD.F, device 00-1f, function 0-7)",
			  full, name);
		return -EINVAL;
	}
	if (domain != h->domain) {
		pdma__err(s->err, "%s: function of domain %04x below host bridge %s of domain %04x",
			  full, domain, pdma__basename(h->rel), h->domain);
		return -EINVAL;
	}
	if (parent == PDMA_NONE && bus != h->bus) {
		pdma__err(s->err, "%s: function on bus %02x directly below host bridge %s, whose root bus is %02x",
			  full, bus, pdma__basename(h->rel), h->bus);
		return -EINVAL;
	}
	if (depth >= MAX_DEPTH) {
		pdma__err(s->err, "%s: nested more than %d functions deep",
			  full, MAX_DEPTH);
		return -EINVAL;
	}
	if (grow((void **)&t->fns, &t->cap_fns, t->nr_fns + 1,
		 sizeof(*t->fns)))
		return -ENOMEM;
	f = &t->fns[t->nr_fns];
	memset(f, 0, sizeof(*f));
	f->rel = strdup(crel);
	if (!f->rel)
		return -ENOMEM;
	f->parent = parent;
	f->hb = hb;
	f->domain = domain;
	f->bus = bus;
	f->dev = dev;
	f->fn = fn;
	idx = t->nr_fns++;
	return walk(s, crel, idx, hb, depth + 1);
}

static int walk(struct scan *s, const char *rel, int parent, int hb,
		int depth)
{
	struct dirent **list;
	int n, ret = 0;

	n = list_dir(s, rel, &list);
	if (n < 0)
		return n;
	for (int i = 0; i < n && !ret; i++)
		ret = walk_entry(s, rel, list[i]->d_name, parent, hb, depth);
	free_list(list, n);
	return ret;
}

/* Walk a host bridge directory @rel (named pciDDDD:BB). */
static int walk_hb(struct scan *s, const char *rel, uint16_t domain,
		   uint8_t bus)
{
	int hb, ret;

	ret = add_hb(s, rel, domain, bus, &hb);
	if (ret)
		return ret;
	return walk(s, rel, PDMA_NONE, hb, 0);
}

static int walk_devices(struct scan *s)
{
	struct pdma__sysfs_tree *t = s->t;
	char full[PATH_MAX], rel[PATH_MAX];
	struct dirent **list;
	struct stat st;
	int n, ret = 0;

	n = list_dir(s, "sys/devices", &list);
	if (n < 0)
		return n;
	for (int i = 0; i < n && !ret; i++) {
		const char *name = list[i]->d_name;
		uint16_t domain;
		uint8_t bus;
		int r = parse_hb_name(name, &domain, &bus);

		if (r == -ENOENT)
			continue;
		snprintf(rel, sizeof(rel), "sys/devices/%s", name);
		pdma__sysfs_full(t, rel, NULL, full, sizeof(full));
		if (r == -ERANGE)
			continue;	/* VMD: counted by check_link() */
		if (r) {
			pdma__err(s->err, "%s: not a host bridge name (expected pciDDDD:BB)",
				  full);
			ret = -EINVAL;
			break;
		}
		if (lstat(full, &st) || !S_ISDIR(st.st_mode)) {
			pdma__err(s->err, "%s: not a directory (a host bridge directory was expected)",
				  full);
			ret = -EINVAL;
			break;
		}
		ret = walk_hb(s, rel, domain, bus);
	}
	free_list(list, n);
	return ret;
}

static int cmp_rel(const void *a, const void *b, void *arg)
{
	const struct pdma__sysfs_tree *t = arg;

	return strcmp(t->fns[*(const int *)a].rel, t->fns[*(const int *)b].rel);
}

static int cmp_bdf(const void *a, const void *b, void *arg)
{
	const struct pdma__sysfs_tree *t = arg;
	const struct pdma__sysfs_fn *x = &t->fns[*(const int *)a];
	const struct pdma__sysfs_fn *y = &t->fns[*(const int *)b];
	uint64_t kx = (uint64_t)x->domain << 16 | x->bus << 8 | x->dev << 3 |
		      x->fn;
	uint64_t ky = (uint64_t)y->domain << 16 | y->bus << 8 | y->dev << 3 |
		      y->fn;

	return kx < ky ? -1 : kx > ky;
}

/* Function indices sorted by @cmp. */
static int sorted_index(struct pdma__sysfs_tree *t,
			int (*cmp)(const void *, const void *, void *),
			int **out)
{
	int *idx = malloc(sizeof(int) * (size_t)(t->nr_fns + 1));

	if (!idx)
		return -ENOMEM;
	for (int i = 0; i < t->nr_fns; i++)
		idx[i] = i;
	qsort_r(idx, (size_t)t->nr_fns, sizeof(int), cmp, t);
	*out = idx;
	return 0;
}

static int find_rel(struct scan *s, const char *rel)
{
	int lo = 0, hi = s->nr_by_rel - 1;

	while (lo <= hi) {
		int mid = (lo + hi) / 2;
		int c = strcmp(rel, s->t->fns[s->by_rel[mid]].rel);

		if (!c)
			return s->by_rel[mid];
		if (c < 0)
			hi = mid - 1;
		else
			lo = mid + 1;
	}
	return -1;
}

static int rebuild_index(struct scan *s)
{
	int ret;

	free(s->by_rel);
	s->by_rel = NULL;
	s->nr_by_rel = 0;
	ret = sorted_index(s->t, cmp_rel, &s->by_rel);
	if (!ret)
		s->nr_by_rel = s->t->nr_fns;
	return ret;
}

static int check_unique(struct scan *s)
{
	struct pdma__sysfs_tree *t = s->t;
	char a[PATH_MAX], b[PATH_MAX];
	int *idx, ret = 0;

	ret = sorted_index(t, cmp_bdf, &idx);
	if (ret)
		return ret;
	for (int i = 1; i < t->nr_fns && !ret; i++) {
		if (cmp_bdf(&idx[i - 1], &idx[i], t))
			continue;
		pdma__sysfs_full(t, t->fns[idx[i - 1]].rel, NULL, a, sizeof(a));
		pdma__sysfs_full(t, t->fns[idx[i]].rel, NULL, b, sizeof(b));
		pdma__err(s->err, "%s: the same PCI address appears again at %s",
			  a, b);
		ret = -EINVAL;
	}
	free(idx);
	return ret;
}

/*
 * A link target inside sys/devices that the walk did not reach: if it lies
 * below a host bridge directory that is not directly in sys/devices, walk
 * that host bridge.  Return 1 when a walk was added.
 */
static int walk_nested_hb(struct scan *s, const char *rel)
{
	char prefix[PATH_MAX];
	const char *p = rel + strlen("sys/devices/");

	while (*p) {
		size_t n = strcspn(p, "/");
		char comp[256];
		uint16_t domain;
		uint8_t bus;

		if (n >= sizeof(comp))
			return 0;
		memcpy(comp, p, n);
		comp[n] = '\0';
		if (!parse_hb_name(comp, &domain, &bus)) {
			snprintf(prefix, sizeof(prefix), "%.*s",
				 (int)(p + n - rel), rel);
			for (int h = 0; h < s->t->nr_hbs; h++)
				if (!strcmp(s->t->hbs[h].rel, prefix))
					return 0;
			return walk_hb(s, prefix, domain, bus) ?: 1;
		}
		p += n;
		while (*p == '/')
			p++;
	}
	return 0;
}

static int add_link(struct pdma__sysfs_tree *t, const char *name,
		    const char *target)
{
	struct pdma__sysfs_link *l;

	if (grow((void **)&t->links, &t->cap_links, t->nr_links + 1,
		 sizeof(*t->links)))
		return -ENOMEM;
	l = &t->links[t->nr_links];
	l->name = strdup(name);
	l->target = strdup(target);
	if (!l->name || !l->target) {
		free(l->name);
		free(l->target);
		return -ENOMEM;
	}
	t->nr_links++;
	return 0;
}

/* Check one bus/pci/devices entry; 1 when it names nothing walked. */
static int check_link(struct scan *s, const char *name, bool second)
{
	struct pdma__sysfs_tree *t = s->t;
	char full[PATH_MAX], target[PATH_MAX], rel[PATH_MAX], dfull[PATH_MAX];
	uint16_t domain;
	uint8_t bus, dev, fn;
	struct stat st;
	int ret;

	pdma__sysfs_full(t, "sys/bus/pci/devices", name, full, sizeof(full));
	ret = pdma__parse_bdf_name(name, &domain, &bus, &dev, &fn);
	if (ret == -ERANGE) {
		if (!second && !s->nr_vmd++)
			snprintf(s->vmd_example, sizeof(s->vmd_example), "%s",
				 name);
		return 0;
	}
	if (ret) {
		pdma__err(s->err, "%s: \"%s\" is not a PCI function address",
			  full, name);
		return -EINVAL;
	}
	ret = pdma__read_link(full, target, sizeof(target));
	if (ret) {
		pdma__err(s->err, "%s: %s", full, ret == -EINVAL ?
			  "not a symlink (expected a link to ../../../devices/pci.../<bdf>)" :
			  strerror(-ret));
		return ret == -EINVAL || ret == -ENAMETOOLONG ? -EINVAL : ret;
	}
	ret = pdma__resolve_rel("sys/bus/pci/devices", target, t->live, rel,
				sizeof(rel));
	if (ret || strncmp(rel, "sys/devices/", 12)) {
		pdma__sysfs_full(t, "sys/devices", NULL, dfull, sizeof(dfull));
		pdma__err(s->err, "%s: points outside %s (to %s)", full, dfull,
			  target);
		return -EINVAL;
	}
	if (strcmp(pdma__basename(rel), name)) {
		pdma__err(s->err, "%s: points to %s, a directory of another name",
			  full, target);
		return -EINVAL;
	}
	if (find_rel(s, rel) >= 0)
		return add_link(t, name, target);
	pdma__sysfs_full(t, rel, NULL, dfull, sizeof(dfull));
	if (stat(dfull, &st) || !S_ISDIR(st.st_mode)) {
		pdma__err(s->err, "%s: points to %s, which does not exist",
			  full, dfull);
		return -EINVAL;
	}
	if (second)
		return 1;
	ret = walk_nested_hb(s, rel);
	if (ret < 0)
		return ret;
	return 1;
}

static int check_bus_links(struct scan *s)
{
	struct pdma__sysfs_tree *t = s->t;
	char full[PATH_MAX];
	const char *first = NULL;
	struct dirent **list;
	bool *missed = NULL;
	struct stat st;
	int n, ret, nr_missed = 0;

	pdma__sysfs_full(t, "sys/bus/pci/devices", NULL, full, sizeof(full));
	if (lstat(full, &st) && errno == ENOENT)
		return 0;	/* a bare copy of sys/devices: nothing to check */
	ret = rebuild_index(s);
	if (ret)
		return ret;
	n = list_dir(s, "sys/bus/pci/devices", &list);
	if (n < 0)
		return n;
	missed = calloc((size_t)n + 1, sizeof(*missed));
	if (!missed) {
		ret = -ENOMEM;
		goto out;
	}
	/* First pass: check, and walk host bridges found only by links. */
	for (int i = 0; i < n && ret >= 0; i++) {
		if (list[i]->d_name[0] == '.')
			continue;
		ret = check_link(s, list[i]->d_name, false);
		missed[i] = ret > 0;
		nr_missed += ret > 0;
	}
	if (ret < 0 || !nr_missed)
		goto out;
	/* Second pass over the misses, with the added host bridges. */
	ret = rebuild_index(s);
	nr_missed = 0;
	for (int i = 0; i < n && ret >= 0; i++) {
		if (!missed[i])
			continue;
		ret = check_link(s, list[i]->d_name, true);
		if (ret > 0 && !nr_missed++)
			first = list[i]->d_name;
	}
	if (ret >= 0 && nr_missed)
		ret = tree_note(t, "%s: %d link(s) (first %s) point to functions below no pciDDDD:BB directory: they are left out",
				full, nr_missed, first);
out:
	free(missed);
	free_list(list, n);
	return ret < 0 ? ret : 0;
}

int pdma__sysfs_scan(const char *root, struct pdma__sysfs_tree *t,
		     struct pdma_error *err)
{
	struct scan s = { .t = t, .err = err };
	char full[PATH_MAX];
	struct stat st;
	int ret;

	memset(t, 0, sizeof(*t));
	if (snprintf(t->root, sizeof(t->root), "%s", root) >=
	    (int)sizeof(t->root)) {
		pdma__err(err, "%s: path too long", root);
		return -EINVAL;
	}
	/* "snap/" and "snap" are one root; "/" and "//" the live one */
	for (size_t n = strlen(t->root); n > 1 && t->root[n - 1] == '/'; n--)
		t->root[n - 1] = '\0';
	t->live = !strcmp(t->root, "/");
	if (stat(root, &st)) {
		ret = -errno;
		pdma__err(err, "%s: %s", root, strerror(-ret));
		return ret;
	}
	if (!S_ISDIR(st.st_mode)) {
		pdma__err(err, "%s: not a directory: expected a snapshot made by `peerdma snapshot` or a copy of /sys",
			  root);
		return -EINVAL;
	}
	pdma__sysfs_full(t, "sys/devices", NULL, full, sizeof(full));
	if (stat(full, &st) || !S_ISDIR(st.st_mode)) {
		pdma__err(err, "%s: not found: expected a snapshot made by `peerdma snapshot` or a copy of /sys",
			  full);
		return -EINVAL;
	}
	ret = walk_devices(&s);
	if (!ret)
		ret = check_bus_links(&s);
	if (!ret)
		ret = check_unique(&s);
	if (!ret && s.nr_vmd)
		ret = tree_note(t, "%d function(s) in PCI domains past ffff (Intel VMD?), first %s, are not analyzed",
				s.nr_vmd, s.vmd_example);
	free(s.by_rel);
	return ret;
}
