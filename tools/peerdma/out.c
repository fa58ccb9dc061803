// SPDX-License-Identifier: MIT
/*
 * Output helpers shared by the commands: colors, human sizes, links, hops,
 * the platform footer, and the JSON pieces (jansson).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static bool color_on;

/**
 * out_color_init() - decide whether to color @f: --color, then NO_COLOR
 * (https://no-color.org), then whether @f is a terminal.
 */
void out_color_init(enum cli_color mode, FILE *f)
{
	const char *nc = getenv("NO_COLOR"), *term = getenv("TERM");

	if (mode == COLOR_ALWAYS)
		color_on = true;
	else if (mode == COLOR_NEVER || (nc && nc[0]))
		color_on = false;
	else
		color_on = isatty(fileno(f)) && !(term && !strcmp(term, "dumb"));
}

/** out_c() - the escape sequence for SGR @code, or "" when color is off. */
const char *out_c(const char *code)
{
	static char buf[8][16];
	static int next;
	char *b;

	if (!color_on)
		return "";
	b = buf[next++ % 8];
	snprintf(b, sizeof(buf[0]), "\033[%sm", code);
	return b;
}

/** out_size() - 16M, 64G, 4K, 1.5G, 512 (bytes); "?" for 0. */
char *out_size(unsigned long long bytes, char *buf, size_t len)
{
	static const char units[] = "KMGTPE";
	double v = (double)bytes;
	int u = -1;

	if (!bytes) {
		snprintf(buf, len, "?");
		return buf;
	}
	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, len, "%llu", bytes);
	else if (v == floor(v))
		snprintf(buf, len, "%.0f%c", v, units[u]);
	else
		snprintf(buf, len, "%.1f%c", v, units[u]);
	return buf;
}

/** out_link() - "16GT/s x16", "?" parts when unknown. */
char *out_link(struct pdma_link l, char *buf, size_t len)
{
	double gts = pdma_link_gen_gts(l.gen);
	char s[32] = "?", w[16] = "?";

	if (gts > 0)
		snprintf(s, sizeof(s), "%gGT/s", gts);
	if (l.width > 0)
		snprintf(w, sizeof(w), "x%d", l.width);
	snprintf(buf, len, "%s %s", s, w);
	return buf;
}

/**
 * out_link_degraded() - the link trained below what both its ends can do,
 * as far as this function's registers tell: current speed or width below
 * the maximum, both known.
 */
bool out_link_degraded(const struct pdma_func_info *fi)
{
	const struct pdma_link *c = &fi->link_cur, *m = &fi->link_max;

	if (c->gen > 0 && m->gen > 0 && c->gen < m->gen)
		return true;
	return c->width > 0 && m->width > 0 && c->width < m->width;
}

/** out_acs_redir() - "RR CR EC" (the redirect bits set), "" for none. */
char *out_acs_redir(uint16_t ctrl, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s", ctrl & PDMA_ACS_RR ? "RR " : "",
		 ctrl & PDMA_ACS_CR ? "CR " : "", ctrl & PDMA_ACS_EC ? "EC " : "");
	if (buf[0])
		buf[strlen(buf) - 1] = '\0';
	return buf;
}

/** out_short_bdf() - "03:00.0", or the full BDF when domains differ. */
char *out_short_bdf(const struct pdma_fabric *fab,
		    const struct pdma_func_info *fi, char *buf, size_t len)
{
	int n = pdma_fabric_nr_funcs(fab);

	for (int i = 0; i < n; i++)
		if (pdma_fabric_func(fab, i)->domain) {
			pdma_bdf_format(fi, buf, len);
			return buf;
		}
	snprintf(buf, len, "%02x:%02x.%x", fi->bus, fi->dev, fi->fn);
	return buf;
}

/** out_hop_name() - a hop as JSON paths name it: a BDF or "pci0000:40". */
const char *out_hop_name(const struct pdma_fabric *fab,
			 const struct pdma_hop *h, char *buf, size_t len)
{
	if (h->is_host_bridge) {
		const struct pdma_host_bridge_info *hb =
			pdma_fabric_host_bridge(fab, h->idx);

		snprintf(buf, len, "%s", hb ? hb->name : "?");
		return buf;
	}
	return pdma_bdf_format(pdma_fabric_func(fab, h->idx), buf, len);
}

const char *out_cpu_vendor(enum pdma_cpu_vendor v)
{
	switch (v) {
	case PDMA_CPU_INTEL:
		return "Intel";
	case PDMA_CPU_AMD:
		return "AMD";
	case PDMA_CPU_OTHER:
		return "other";
	default:
		return "unknown";
	}
}

/** out_platform() - the rules, CPU and source lines of every report. */
void out_platform(const struct pdma_fabric *fab, FILE *f)
{
	const struct pdma_platform_info *pi = pdma_fabric_platform(fab);

	fprintf(f, "Rules:  %s\n", pdma_rules_name(pdma_fabric_rules(fab)));
	fprintf(f, "CPU:    %s", out_cpu_vendor(pi->cpu_vendor));
	if (pi->cpu_vendor == PDMA_CPU_AMD || pi->cpu_vendor == PDMA_CPU_INTEL)
		fprintf(f, " family %d (0x%x)", pi->cpu_family, pi->cpu_family);
	if (pi->cpu_model[0])
		fprintf(f, ", %s", pi->cpu_model);
	fprintf(f, " (from %s)\n", pi->cpu_source[0] ? pi->cpu_source : "?");
	fprintf(f, "IOMMU:  %s\n", pi->iommu ? "on (translates DMA)" :
		pi->iommu_unknown ? "unknown (the source does not say)" : "off");
	if (pi->cmdline[0])
		fprintf(f, "Kernel command line: %s\n", pi->cmdline);
	fprintf(f, "Source: %s\n", pi->source[0] ? pi->source : "?");
}

/** out_notes() - every note of the fabric, as a list. */
void out_notes(const struct pdma_fabric *fab, FILE *f)
{
	int n = pdma_fabric_nr_notes(fab);

	if (!n)
		return;
	fprintf(f, "Notes:\n");
	for (int i = 0; i < n; i++)
		fprintf(f, "  - %s\n", pdma_fabric_note(fab, i));
}

/*
 * JSON: objects are built with out_json_set(), which steals @val and
 * remembers an allocation failure; out_json() prints and frees the root.
 */
static bool json_oom;

int out_json_set(json_t *obj, const char *key, json_t *val)
{
	if (!obj || !val || json_object_set_new(obj, key, val)) {
		if (!obj)
			json_decref(val);
		json_oom = true;
		return -1;
	}
	return 0;
}

/** out_json_append() - append @val (stolen) to @arr, noting a failure. */
int out_json_append(json_t *arr, json_t *val)
{
	if (!arr || !val || json_array_append_new(arr, val)) {
		if (!arr)
			json_decref(val);
		json_oom = true;
		return -1;
	}
	return 0;
}

/** out_json() - print @root to stdout and free it; an exit status. */
int out_json(json_t *root)
{
	int ret;

	if (!root || json_oom) {
		json_decref(root);
		cli_err("out of memory building the JSON output");
		return EXIT_FAIL;
	}
	ret = json_dumpf(root, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(12));
	json_decref(root);
	if (ret) {
		cli_err("writing the JSON output failed");
		return EXIT_FAIL;
	}
	putchar('\n');
	return EXIT_OK;
}

/**
 * out_jstr() - a JSON string of @s; bytes that are not UTF-8 (a name from
 * an old ID database, a hand-edited file) become '?' instead of failing.
 */
json_t *out_jstr(const char *s)
{
	json_t *j = json_string(s ? s : "");
	char *copy;

	if (j)
		return j;
	copy = strdup(s);
	if (!copy)
		return NULL;
	for (char *p = copy; *p; p++)
		if ((unsigned char)*p >= 0x80 || (unsigned char)*p < 0x20)
			*p = '?';
	j = json_string(copy);
	free(copy);
	return j;
}

static json_t *str_or_null(const char *s)
{
	return s && s[0] ? out_jstr(s) : json_null();
}

json_t *out_json_cpu(const struct pdma_fabric *fab)
{
	const struct pdma_platform_info *pi = pdma_fabric_platform(fab);
	json_t *o = json_object();

	out_json_set(o, "vendor", json_string(out_cpu_vendor(pi->cpu_vendor)));
	out_json_set(o, "family", json_integer(pi->cpu_family));
	out_json_set(o, "model", str_or_null(pi->cpu_model));
	out_json_set(o, "source", str_or_null(pi->cpu_source));
	return o;
}

json_t *out_json_notes(const struct pdma_fabric *fab)
{
	json_t *a = json_array();

	for (int i = 0; a && i < pdma_fabric_nr_notes(fab); i++)
		out_json_append(a, out_jstr(pdma_fabric_note(fab, i)));
	return a;
}

static json_t *reason_node(const struct pdma_fabric *fab,
			   const struct pdma_reason *r)
{
	struct pdma_hop h;
	char b[32];

	if (r->func >= 0 && r->func < pdma_fabric_nr_funcs(fab))
		h = (struct pdma_hop){ false, r->func };
	else if (r->host_bridge >= 0 &&
		 r->host_bridge < pdma_fabric_nr_host_bridges(fab))
		h = (struct pdma_hop){ true, r->host_bridge };
	else
		return json_null();
	return out_jstr(out_hop_name(fab, &h, b, sizeof(b)));
}

/**
 * out_json_pair() - one verdict in the shape of "peerdma matrix --json":
 * provider, client, kernel_distance, map_type, path_class, path,
 * bottleneck_gbps and modeled_gbps (null when unknown), reasons, fix.
 */
json_t *out_json_pair(const struct pdma_fabric *fab,
		      const struct pdma_verdict *v)
{
	json_t *o = json_object(), *path = json_array(), *rs = json_array();
	char b[32];

	if (!o || !path || !rs) {
		json_decref(o);
		json_decref(path);
		json_decref(rs);
		json_oom = true;
		return NULL;
	}
	out_json_set(o, "provider", json_string(pdma_bdf_format(
				pdma_fabric_func(fab, v->provider), b, sizeof(b))));
	out_json_set(o, "client", json_string(pdma_bdf_format(
				pdma_fabric_func(fab, v->client), b, sizeof(b))));
	out_json_set(o, "kernel_distance", json_integer(v->distance));
	out_json_set(o, "map_type", json_string(pdma_map_type_name(v->map_type)));
	out_json_set(o, "path_class",
		     json_string(pdma_path_class_name(v->path_class)));
	for (int i = 0; i < v->nr_hops; i++)
		out_json_append(path, out_jstr(out_hop_name(fab, &v->hops[i],
							     b, sizeof(b))));
	out_json_set(o, "path", path);
	out_json_set(o, "bottleneck_gbps", v->bottleneck_gbps > 0 ?
		     json_real(round(v->bottleneck_gbps * 1000) / 1000) :
		     json_null());
	out_json_set(o, "modeled_gbps", v->modeled_gbps > 0 ?
		     json_real(round(v->modeled_gbps * 1000) / 1000) :
		     json_null());
	for (int i = 0; i < v->nr_reasons; i++) {
		json_t *r = json_object();

		out_json_set(r, "rule",
			     json_string(pdma_rule_name(v->reasons[i].rule)));
		out_json_set(r, "node", reason_node(fab, &v->reasons[i]));
		out_json_set(r, "text", out_jstr(v->reasons[i].text));
		out_json_append(rs, r);
	}
	out_json_set(o, "reasons", rs);
	out_json_set(o, "fix", out_jstr(v->fix));
	return o;
}
