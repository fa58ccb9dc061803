/* SPDX-License-Identifier: MIT */
/*
 * Topology files: from the nodes read out of the file to a fabric.
 *
 * Bus numbers a file leaves out are assigned the way firmware does it:
 * depth first, in device/function order, each bridge taking the next free
 * number as its secondary bus and, as subordinate, the highest number used
 * below it.  A bridge whose children give their bus takes that bus.  Then
 * the tree is checked as a whole (addresses, bus numbers, labels), with the
 * path of the offending function in every message, so that the model's own
 * finalize rarely has anything left to reject.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "load_json.h"

static int fail_node(struct pdma_jctx *c, int n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail_node(struct pdma_jctx *c, int n, const char *fmt, ...)
{
	char why[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	pdma__jpath_node(c, n, 0);
	return pdma__jfail(c, "%s", why);
}

/* The path of node @n (or host bridge -1 - @n) as text, for "also at". */
static const char *path_of(struct pdma_jctx *c, int n, char *buf, size_t len)
{
	if (n >= 0)
		pdma__jpath_node(c, n, 0);
	else
		pdma__jpath_node(c, -1, -1 - n);
	pdma__jpath_text(c, buf, len);
	return buf;
}

static int cmp_devfn(const void *a, const void *b, void *arg)
{
	const struct pdma_jctx *sort_ctx = arg;
	const struct pdma_func_info *x = &sort_ctx->nodes[*(const int *)a].fi;
	const struct pdma_func_info *y = &sort_ctx->nodes[*(const int *)b].fi;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->fn != y->fn)
		return x->fn < y->fn ? -1 : 1;
	return *(const int *)a - *(const int *)b;
}

static int cmp_bdf(const void *a, const void *b, void *arg)
{
	const struct pdma_jctx *sort_ctx = arg;
	const struct pdma_func_info *x = &sort_ctx->nodes[*(const int *)a].fi;
	const struct pdma_func_info *y = &sort_ctx->nodes[*(const int *)b].fi;
	uint64_t kx = (uint64_t)x->domain << 24 | (uint64_t)x->bus << 16 |
		      (uint64_t)x->dev << 8 | x->fn;
	uint64_t ky = (uint64_t)y->domain << 24 | (uint64_t)y->bus << 16 |
		      (uint64_t)y->dev << 8 | y->fn;

	if (kx != ky)
		return kx < ky ? -1 : 1;
	return *(const int *)a - *(const int *)b;
}

static int cmp_label(const void *a, const void *b, void *arg)
{
	const struct pdma_jctx *sort_ctx = arg;
	int r = strcmp(sort_ctx->nodes[*(const int *)a].fi.label,
		       sort_ctx->nodes[*(const int *)b].fi.label);

	return r ? r : *(const int *)a - *(const int *)b;
}

/* The secondary bus of bridge @n when the file gives none. */
static int pick_secondary(struct pdma_jctx *c, int n, int counter, int *sec)
{
	int want = -1, from = -1;
	char other[160];

	for (int k = c->nodes[n].first_child; k >= 0;
	     k = c->nodes[k].next_sibling) {
		if (!c->nodes[k].has_bus)
			continue;
		if (want < 0) {
			want = c->nodes[k].fi.bus;
			from = k;
		} else if (c->nodes[k].fi.bus != want) {
			path_of(c, from, other, sizeof(other));
			return fail_node(c, k, "bus %02x, but its sibling at %s is on bus %02x",
					 c->nodes[k].fi.bus, other, want);
		}
	}
	if (want >= 0) {
		*sec = want;
		return 0;
	}
	if (counter >= 0xff)
		return fail_node(c, n, "no bus number is left for this bridge: give \"secondary_bus\" here or above");
	*sec = counter + 1;
	return 0;
}

/*
 * Give the functions of one bus (the list from @first) their bus number,
 * and bridges their bus range, depth first in devfn order.
 */
static int walk(struct pdma_jctx *c, int first, int bus, bool check_bus,
		int *counter)
{
	int nr = 0, *order, ret = 0;

	for (int k = first; k >= 0; k = c->nodes[k].next_sibling)
		nr++;
	if (!nr)
		return 0;
	order = malloc(sizeof(int) * (size_t)nr);
	if (!order)
		return -ENOMEM;
	nr = 0;
	for (int k = first; k >= 0; k = c->nodes[k].next_sibling)
		order[nr++] = k;
	qsort_r(order, (size_t)nr, sizeof(int), cmp_devfn, c);
	for (int i = 0; i < nr && !ret; i++) {
		struct pdma_jnode *nd = &c->nodes[order[i]];
		int sec = 0, sub;

		if (nd->has_bus && check_bus && nd->fi.bus != bus) {
			ret = fail_node(c, order[i], nd->parent < 0 ?
					"bus %02x, but its host bridge's root bus is %02x" :
					"bus %02x, but its bridge's secondary bus is %02x",
					nd->fi.bus, bus);
			break;
		}
		if (!nd->has_bus || check_bus)
			nd->fi.bus = (uint8_t)bus;
		if (!pdma_fabric_is_bridge(&nd->fi))
			continue;
		if (nd->has_sec) {
			sec = nd->fi.secondary_bus;
		} else {
			ret = pick_secondary(c, order[i], *counter, &sec);
			if (ret)
				break;
		}
		nd = &c->nodes[order[i]];
		nd->fi.secondary_bus = (uint8_t)sec;
		if (sec > *counter)
			*counter = sec;
		ret = walk(c, nd->first_child, sec, sec != 0, counter);
		if (ret)
			break;
		nd = &c->nodes[order[i]];
		sub = nd->has_sub ? nd->fi.subordinate_bus :
				    (*counter > sec ? *counter : sec);
		nd->fi.subordinate_bus = (uint8_t)sub;
		if (sub > *counter)
			*counter = sub;
	}
	free(order);
	return ret;
}

/* Two functions at one address. */
static int check_addresses(struct pdma_jctx *c, int *order)
{
	char other[160], bdf[16];

	for (int i = 0; i < c->nr_nodes; i++)
		order[i] = i;
	qsort_r(order, (size_t)c->nr_nodes, sizeof(int), cmp_bdf, c);
	for (int i = 1; i < c->nr_nodes; i++) {
		const struct pdma_func_info *x = &c->nodes[order[i - 1]].fi;
		const struct pdma_func_info *y = &c->nodes[order[i]].fi;

		if (x->domain != y->domain || x->bus != y->bus ||
		    x->dev != y->dev || x->fn != y->fn)
			continue;
		path_of(c, order[i - 1], other, sizeof(other));
		return fail_node(c, order[i], "%s is also at %s",
				 pdma_bdf_format(y, bdf, sizeof(bdf)), other);
	}
	return 0;
}

/* A bus and who owns it: node, or -1 - host bridge; @seq breaks ties. */
struct bus_use {
	uint32_t key;	/* domain << 8 | bus */
	int who;
	int seq;
};

static int cmp_use(const void *a, const void *b)
{
	const struct bus_use *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->seq - y->seq;
}

/* Each bus is the root bus of one host bridge or the secondary of one bridge. */
static int check_buses(struct pdma_jctx *c)
{
	int nr = c->nr_hbs + c->nr_nodes, ret = 0, n = 0;
	struct bus_use *use = malloc(sizeof(*use) * (size_t)(nr + 1));
	char other[160];

	if (!use)
		return -ENOMEM;
	for (int h = 0; h < c->nr_hbs; h++, n++)
		use[n] = (struct bus_use){ (uint32_t)c->hbs[h].info.domain << 8 |
					   c->hbs[h].info.bus, -1 - h, n };
	for (int i = 0; i < c->nr_nodes; i++) {
		const struct pdma_func_info *fi = &c->nodes[i].fi;
		const struct pdma_jnode *p;

		if (!pdma_fabric_is_bridge(fi) || !fi->secondary_bus)
			continue;
		if (fi->subordinate_bus < fi->secondary_bus) {
			ret = fail_node(c, i, "subordinate bus %02x is below the secondary bus %02x",
					fi->subordinate_bus, fi->secondary_bus);
			goto out;
		}
		p = c->nodes[i].parent >= 0 ? &c->nodes[c->nodes[i].parent] : NULL;
		if (p && p->fi.secondary_bus &&
		    (fi->secondary_bus <= p->fi.secondary_bus ||
		     fi->subordinate_bus > p->fi.subordinate_bus)) {
			ret = fail_node(c, i, "bus range %02x-%02x does not lie inside its bridge's range %02x-%02x, above the bridge's secondary bus",
					fi->secondary_bus, fi->subordinate_bus,
					p->fi.secondary_bus, p->fi.subordinate_bus);
			goto out;
		}
		use[n] = (struct bus_use){ (uint32_t)fi->domain << 8 |
					   fi->secondary_bus, i, n };
		n++;
	}
	/* Ties keep file order: the later of two is reported. */
	qsort(use, (size_t)n, sizeof(*use), cmp_use);
	for (int i = 1; i < n; i++) {
		int a = use[i - 1].who, b = use[i].who;

		if (use[i - 1].key != use[i].key)
			continue;
		if (b < 0) {
			int t = a;

			a = b;
			b = t;
		}
		path_of(c, a, other, sizeof(other));
		if (b < 0)
			ret = pdma__jfail(c, "host bridge bus %02x is declared twice",
					  use[i].key & 0xff);
		else
			ret = fail_node(c, b, "secondary bus %02x is already taken by %s at %s%s",
					use[i].key & 0xff,
					a < 0 ? "the root bus of the host bridge" : "the bridge",
					other, c->nodes[b].has_sec ? "" :
					"; give \"secondary_bus\" explicitly");
		goto out;
	}
out:
	free(use);
	return ret;
}

static int check_labels(struct pdma_jctx *c, int *order)
{
	char other[160];
	int n = 0;

	for (int i = 0; i < c->nr_nodes; i++)
		if (c->nodes[i].fi.label[0])
			order[n++] = i;
	qsort_r(order, (size_t)n, sizeof(int), cmp_label, c);
	for (int i = 1; i < n; i++) {
		if (strcmp(c->nodes[order[i - 1]].fi.label,
			   c->nodes[order[i]].fi.label))
			continue;
		path_of(c, order[i - 1], other, sizeof(other));
		return fail_node(c, order[i], "label \"%s\" is also given at %s",
				 c->nodes[order[i]].fi.label, other);
	}
	return 0;
}

/* Multifunction and NUMA node where the file is silent. */
static void derive(struct pdma_jctx *c, int *order)
{
	for (int i = 0; i < c->nr_nodes; i++)
		order[i] = i;
	qsort_r(order, (size_t)c->nr_nodes, sizeof(int), cmp_bdf, c);
	for (int i = 0; i < c->nr_nodes; i++) {
		struct pdma_jnode *nd = &c->nodes[order[i]];
		bool shared = false;

		for (int j = i - 1; j <= i + 1; j += 2) {
			const struct pdma_func_info *o;

			if (j < 0 || j >= c->nr_nodes)
				continue;
			o = &c->nodes[order[j]].fi;
			shared |= o->domain == nd->fi.domain &&
				  o->bus == nd->fi.bus && o->dev == nd->fi.dev;
		}
		if (!nd->has_mf)
			nd->fi.multifunction = nd->fi.fn == 0 && shared;
		if (!nd->has_numa)
			nd->fi.numa_node = c->hbs[nd->hb].info.numa_node;
	}
}

static int cmp_fab_label(const void *a, const void *b, void *arg)
{
	const struct pdma_fabric *sort_fab = arg;

	return strcmp(pdma_fabric_func(sort_fab, *(const int *)a)->label,
		      pdma_fabric_func(sort_fab, *(const int *)b)->label);
}

/*
 * After finalize: a label the file gives may equal one that finalize made
 * up for another function.
 */
static int check_auto_labels(struct pdma_jctx *c, struct pdma_fabric *fab)
{
	int nr = pdma_fabric_nr_funcs(fab), *order, ret = 0;
	char bdf[16];

	order = malloc(sizeof(int) * (size_t)(nr + 1));
	if (!order)
		return -ENOMEM;
	for (int i = 0; i < nr; i++)
		order[i] = i;
	qsort_r(order, (size_t)nr, sizeof(int), cmp_fab_label, (void *)fab);
	for (int i = 1; i < nr && !ret; i++) {
		const struct pdma_func_info *x = pdma_fabric_func(fab, order[i - 1]);
		const struct pdma_func_info *y = pdma_fabric_func(fab, order[i]);
		const struct pdma_func_info *other;
		int given = -1;

		if (strcmp(x->label, y->label))
			continue;
		for (int n = 0; n < c->nr_nodes && given < 0; n++)
			if (!strcmp(c->nodes[n].fi.label, x->label))
				given = n;
		if (given < 0) {
			pdma__err(c->err, "%s: two functions get the label \"%s\"",
				  c->name, x->label);
			ret = -EINVAL;
			break;
		}
		other = (c->nodes[given].fi.bus == x->bus &&
			 c->nodes[given].fi.dev == x->dev &&
			 c->nodes[given].fi.fn == x->fn &&
			 c->nodes[given].fi.domain == x->domain) ? y : x;
		ret = fail_node(c, given, "label \"%s\" is also the automatic label of %s; choose another",
				x->label, pdma_bdf_format(other, bdf, sizeof(bdf)));
	}
	free(order);
	return ret;
}

static int build(struct pdma_jctx *c, struct pdma_fabric **out)
{
	struct pdma_fabric *fab;
	struct pdma_error ferr;
	int ret;

	ret = pdma_fabric_create(&fab);
	if (ret)
		return ret;
	for (int h = 0; h < c->nr_hbs && !ret; h++)
		ret = pdma_fabric_add_host_bridge(fab, &c->hbs[h].info, NULL);
	for (int i = 0; i < c->nr_nodes && !ret; i++) {
		struct pdma_func_info fi = c->nodes[i].fi;

		fi.parent = c->nodes[i].parent;
		fi.host_bridge = c->nodes[i].hb;
		ret = pdma_fabric_add_func(fab, &fi, NULL);
	}
	pdma_fabric_set_platform(fab, &c->pi);
	for (int g = 0; g < c->nr_groups && !ret; g++)
		ret = pdma_fabric_set_iommu_group_type(fab, c->group_id[g],
						       c->group_type[g]);
	for (size_t i = 0; c->notes && i < json_array_size(c->notes) && !ret;
	     i++)
		ret = pdma_fabric_add_note(fab, "%s",
					   json_string_value(json_array_get(c->notes, i)));
	if (ret)
		goto err_destroy;
	ret = pdma_fabric_finalize(fab, &ferr);
	if (ret == -EINVAL)
		pdma__err(c->err, "%s: %s", c->name, ferr.msg);
	if (!ret)
		ret = check_auto_labels(c, fab);
	if (ret)
		goto err_destroy;
	*out = fab;
	return 0;

err_destroy:
	pdma_fabric_destroy(fab);
	return ret;
}

int pdma__jtree_build(struct pdma_jctx *c, struct pdma_fabric **out)
{
	int *order, ret = 0;

	for (int h = 0; h < c->nr_hbs && !ret; h++) {
		int counter = c->hbs[h].info.bus;

		ret = walk(c, c->hbs[h].first_child, c->hbs[h].info.bus, true,
			   &counter);
	}
	if (ret)
		return ret;
	order = malloc(sizeof(int) * (size_t)(c->nr_nodes + 1));
	if (!order)
		return -ENOMEM;
	ret = check_addresses(c, order);
	if (!ret)
		ret = check_buses(c);
	if (!ret)
		ret = check_labels(c, order);
	if (!ret) {
		derive(c, order);
		ret = build(c, out);
	}
	free(order);
	return ret;
}
