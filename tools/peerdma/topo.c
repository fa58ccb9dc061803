// SPDX-License-Identifier: MIT
/*
 * peerdma topo: the PCIe tree per host bridge, like `lspci -tv`, with what
 * decides P2P (links, ACS, IOMMU groups, p2pmem) on each function.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

/* Tree glyphs, ASCII like lspci -t so that output greps and pastes well. */
#define T_MID	"+- "
#define T_LAST	"\\- "
#define T_BAR	"|  "
#define T_NONE	"   "

static bool has_children(const struct pdma_fabric *fab, int idx)
{
	for (int i = 0; i < pdma_fabric_nr_funcs(fab); i++)
		if (pdma_fabric_func(fab, i)->parent == idx)
			return true;
	return false;
}

/* The next function after @after with parent @parent (below host bridge
 * @hb when @parent is PDMA_NONE), or -1. */
static int next_child(const struct pdma_fabric *fab, int hb, int parent,
		      int after)
{
	for (int i = after + 1; i < pdma_fabric_nr_funcs(fab); i++) {
		const struct pdma_func_info *fi = pdma_fabric_func(fab, i);

		if (fi->parent != parent)
			continue;
		if (parent == PDMA_NONE && fi->host_bridge != hb)
			continue;
		return i;
	}
	return -1;
}

static size_t bars_text(const struct pdma_func_info *fi, char *buf,
			size_t len)
{
	size_t n = 0;
	char s[16];

	buf[0] = '\0';
	for (int i = 0; i < 6 && n < len; i++) {
		const struct pdma_bar *b = &fi->bars[i];

		if (!b->size && !b->addr && !b->flags)
			continue;
		n += (size_t)snprintf(buf + n, len - n, "%s%d:%s",
				      n ? " " : "BAR ", i,
				      out_size(b->size, s, sizeof(s)));
		if (b->flags & PDMA_BAR_64)
			i++;	/* the next slot holds the upper half */
	}
	return n;
}

/* Append ", " + @fmt to @buf. */
static void add(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void add(char *buf, size_t len, const char *fmt, ...)
{
	size_t n = strlen(buf);
	va_list ap;

	if (n && n + 2 < len) {
		memcpy(buf + n, ", ", 3);
		n += 2;
	}
	va_start(ap, fmt);
	vsnprintf(buf + n, len - n, fmt, ap);
	va_end(ap);
}

static void details(const struct pdma_fabric *fab,
		    const struct pdma_func_info *fi, int hb_numa, char *buf,
		    size_t len)
{
	char a[64], b[64];

	buf[0] = '\0';
	if (bars_text(fi, a, sizeof(a)))
		add(buf, len, "%s", a);
	if (fi->link_cur.gen || fi->link_cur.width || fi->link_max.gen ||
	    fi->link_max.width) {
		out_link(fi->link_cur, a, sizeof(a));
		out_link(fi->link_max, b, sizeof(b));
		if (!strcmp(a, b) || (!fi->link_max.gen && !fi->link_max.width))
			add(buf, len, "link %s", a);
		else if (out_link_degraded(fi))
			add(buf, len, "link %s (max %s) %sDEGRADED%s", a, b,
			    out_c(C_YELLOW), out_c(C_RESET));
		else
			add(buf, len, "link %s (max %s)", a, b);
	}
	if (fi->acs_known && fi->has_acs &&
	    out_acs_redir(fi->acs_ctrl, a, sizeof(a))[0])
		add(buf, len, "ACS %s%s%s", out_c(C_RED), a, out_c(C_RESET));
	else if (!fi->acs_known && pdma_fabric_is_bridge(fi))
		add(buf, len, "ACS ?");
	if (fi->iommu_group >= 0)
		add(buf, len, "IOMMU group %d (%s)", fi->iommu_group,
		    pdma_iommu_type_name(pdma_fabric_iommu_group_type(
			    fab, fi->iommu_group)));
	if (fi->p2pmem.present)
		add(buf, len, "%sp2pmem %s (%s available%s)%s", out_c(C_GREEN),
		    out_size(fi->p2pmem.size, a, sizeof(a)),
		    fi->p2pmem.available || !fi->p2pmem.size ?
			    out_size(fi->p2pmem.available, b, sizeof(b)) : "0",
		    fi->p2pmem.published ? ", published" : "",
		    out_c(C_RESET));
	if (fi->numa_node >= 0 && fi->numa_node != hb_numa)
		add(buf, len, "NUMA %d", fi->numa_node);
	if (fi->driver[0])
		add(buf, len, "driver %s", fi->driver);
}

static void print_func(const struct pdma_fabric *fab, int idx, int hb_numa,
		       char *prefix, size_t plen, bool last)
{
	const struct pdma_func_info *fi = pdma_fabric_func(fab, idx);
	size_t n = strlen(prefix);
	bool kids = has_children(fab, idx);
	char bdf[16], det[512];

	out_short_bdf(fab, fi, bdf, sizeof(bdf));
	printf("%s%s%s%s%s %s%s%s [%s] %s\n", prefix, last ? T_LAST : T_MID,
	       out_c(C_BOLD), bdf, out_c(C_RESET), out_c(C_CYAN), fi->label,
	       out_c(C_RESET), pdma_role_name(fi->role),
	       fi->name[0] ? fi->name : "(unknown device)");
	if (n + 4 >= plen)
		return;	/* deeper than any real fabric; stop indenting */
	strcpy(prefix + n, last ? T_NONE : T_BAR);
	details(fab, fi, hb_numa, det, sizeof(det));
	if (det[0])
		printf("%s%s%s%s%s\n", prefix, kids ? "|  " : "   ",
		       out_c(C_DIM), det, out_c(C_RESET));
	for (int c = next_child(fab, -1, idx, -1), nx; c >= 0; c = nx) {
		nx = next_child(fab, -1, idx, c);
		print_func(fab, c, hb_numa, prefix, plen, nx < 0);
	}
	prefix[n] = '\0';
}

static void print_text(const struct pdma_fabric *fab)
{
	for (int h = 0; h < pdma_fabric_nr_host_bridges(fab); h++) {
		const struct pdma_host_bridge_info *hb =
			pdma_fabric_host_bridge(fab, h);
		char prefix[256] = "";

		printf("%s%s%s host bridge", out_c(C_BOLD), hb->name,
		       out_c(C_RESET));
		if (hb->numa_node >= 0)
			printf(", NUMA node %d", hb->numa_node);
		else
			printf(", NUMA node ?");
		if (hb->firmware_path[0])
			printf(", firmware %s", hb->firmware_path);
		printf("\n");
		for (int c = next_child(fab, h, PDMA_NONE, -1), nx; c >= 0;
		     c = nx) {
			nx = next_child(fab, h, PDMA_NONE, c);
			print_func(fab, c, hb->numa_node, prefix,
				   sizeof(prefix), nx < 0);
		}
		printf("\n");
	}
	out_platform(fab, stdout);
	out_notes(fab, stdout);
}

static json_t *link_json(struct pdma_link l)
{
	json_t *o = json_object();
	double gts = pdma_link_gen_gts(l.gen);

	out_json_set(o, "gts", gts > 0 ? json_real(gts) : json_null());
	out_json_set(o, "width", l.width > 0 ? json_integer(l.width) :
					       json_null());
	return o;
}

static json_t *func_json(const struct pdma_fabric *fab, int idx)
{
	const struct pdma_func_info *fi = pdma_fabric_func(fab, idx);
	json_t *o = json_object(), *bars = json_array(), *kids = json_array();
	json_t *link = json_object(), *acs = json_object(), *redir = json_array();
	char b[32];

	out_json_set(o, "bdf", json_string(pdma_bdf_format(fi, b, sizeof(b))));
	out_json_set(o, "label", out_jstr(fi->label));
	out_json_set(o, "role", json_string(pdma_role_name(fi->role)));
	out_json_set(o, "name", out_jstr(fi->name));
	snprintf(b, sizeof(b), "%04x:%04x", fi->vendor, fi->device);
	out_json_set(o, "id", json_string(b));
	snprintf(b, sizeof(b), "%06x", fi->class_code);
	out_json_set(o, "class", json_string(b));
	out_json_set(o, "numa_node", json_integer(fi->numa_node));
	for (int i = 0; bars && i < 6; i++) {
		const struct pdma_bar *bar = &fi->bars[i];
		json_t *jb;

		if (!bar->size && !bar->addr && !bar->flags)
			continue;
		jb = json_object();
		out_json_set(jb, "index", json_integer(i));
		out_json_set(jb, "size", bar->size ? json_integer((json_int_t)bar->size) :
						     json_null());
		out_json_set(jb, "memory", json_boolean(bar->flags & PDMA_BAR_MEM));
		out_json_set(jb, "64bit", json_boolean(bar->flags & PDMA_BAR_64));
		out_json_set(jb, "prefetchable",
			     json_boolean(bar->flags & PDMA_BAR_PREFETCH));
		out_json_append(bars, jb);
		if (bar->flags & PDMA_BAR_64)
			i++;
	}
	out_json_set(o, "bars", bars);
	out_json_set(link, "current", link_json(fi->link_cur));
	out_json_set(link, "max", link_json(fi->link_max));
	out_json_set(link, "degraded", json_boolean(out_link_degraded(fi)));
	out_json_set(o, "link", link);
	out_json_set(acs, "known", json_boolean(fi->acs_known));
	out_json_set(acs, "capability", json_boolean(fi->has_acs));
	out_json_set(acs, "cap", json_integer(fi->acs_cap));
	out_json_set(acs, "ctrl", json_integer(fi->acs_ctrl));
	if (fi->has_acs) {
		static const struct { uint16_t bit; const char *name; } rb[] = {
			{ PDMA_ACS_RR, "RR" }, { PDMA_ACS_CR, "CR" },
			{ PDMA_ACS_EC, "EC" },
		};

		for (size_t i = 0; redir && i < sizeof(rb) / sizeof(rb[0]); i++)
			if (fi->acs_ctrl & rb[i].bit)
				out_json_append(redir,
						      json_string(rb[i].name));
	}
	out_json_set(acs, "redirect", redir);
	out_json_set(o, "acs", acs);
	out_json_set(o, "iommu_group", fi->iommu_group >= 0 ?
		     json_integer(fi->iommu_group) : json_null());
	out_json_set(o, "iommu_type", fi->iommu_group >= 0 ?
		     json_string(pdma_iommu_type_name(pdma_fabric_iommu_group_type(
			     fab, fi->iommu_group))) : json_null());
	if (fi->p2pmem.present) {
		json_t *p = json_object();

		out_json_set(p, "size", json_integer((json_int_t)fi->p2pmem.size));
		out_json_set(p, "available",
			     json_integer((json_int_t)fi->p2pmem.available));
		out_json_set(p, "published", json_boolean(fi->p2pmem.published));
		out_json_set(o, "p2pmem", p);
	} else {
		out_json_set(o, "p2pmem", json_null());
	}
	out_json_set(o, "driver", fi->driver[0] ? out_jstr(fi->driver) :
						  json_null());
	for (int c = next_child(fab, -1, idx, -1); kids && c >= 0;
	     c = next_child(fab, -1, idx, c))
		out_json_append(kids, func_json(fab, c));
	out_json_set(o, "children", kids);
	return o;
}

static int print_json(const struct pdma_fabric *fab)
{
	const struct pdma_platform_info *pi = pdma_fabric_platform(fab);
	json_t *root = json_object(), *hbs = json_array();

	for (int h = 0; hbs && h < pdma_fabric_nr_host_bridges(fab); h++) {
		const struct pdma_host_bridge_info *hb =
			pdma_fabric_host_bridge(fab, h);
		json_t *o = json_object(), *fs = json_array();
		char b[16];

		out_json_set(o, "name", out_jstr(hb->name));
		out_json_set(o, "domain", json_integer(hb->domain));
		out_json_set(o, "bus", json_integer(hb->bus));
		out_json_set(o, "numa_node", json_integer(hb->numa_node));
		out_json_set(o, "firmware_path", hb->firmware_path[0] ?
			     out_jstr(hb->firmware_path) : json_null());
		out_json_set(o, "root_function", hb->root_func >= 0 ?
			     json_string(pdma_bdf_format(pdma_fabric_func(
				     fab, hb->root_func), b, sizeof(b))) :
			     json_null());
		for (int c = next_child(fab, h, PDMA_NONE, -1); fs && c >= 0;
		     c = next_child(fab, h, PDMA_NONE, c))
			out_json_append(fs, func_json(fab, c));
		out_json_set(o, "functions", fs);
		out_json_append(hbs, o);
	}
	out_json_set(root, "host_bridges", hbs);
	out_json_set(root, "rules",
		     json_string(pdma_rules_name(pdma_fabric_rules(fab))));
	out_json_set(root, "cpu", out_json_cpu(fab));
	out_json_set(root, "iommu", pi->iommu_unknown && !pi->iommu ?
		     json_null() : json_boolean(pi->iommu));
	out_json_set(root, "cmdline", out_jstr(pi->cmdline));
	out_json_set(root, "source", out_jstr(pi->source));
	out_json_set(root, "notes", out_json_notes(fab));
	return out_json(root);
}

int cmd_topo(const struct cli *c)
{
	struct pdma_fabric *fab;
	int ret = cli_load_fabric(c, &fab);

	if (ret)
		return ret;
	if (c->json)
		ret = print_json(fab);
	else
		print_text(fab);
	pdma_fabric_destroy(fab);
	return ret;
}
