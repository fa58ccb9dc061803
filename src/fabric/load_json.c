/* SPDX-License-Identifier: MIT */
/*
 * Topology files (docs/topology-format.md): reading the JSON into nodes.
 *
 * jansson parses the text; this file walks the result, checks every key,
 * type and range, and fills one node per function, with the path it came
 * from.  load_json_tree.c then derives what the file left out (device and
 * bus numbers, multifunction, NUMA nodes), checks the tree as a whole and
 * builds the fabric.  Any error stops the load with one line naming the
 * file, the line and column, and the JSON path.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <peerdma/source.h>

#include "load_json.h"

/* ---- platform, IOMMU groups, notes ------------------------------------ */

static int parse_cpu(struct pdma_jctx *c, json_t *o)
{
	static const char *const keys[] = { "vendor", "family", "model",
					    "source", NULL };
	struct pdma_platform_info *pi = &c->pi;
	char vendor[16] = "", sb[48];
	bool got_src;
	int64_t fam;
	bool got;
	int ret;

	if (!json_is_object(o))
		return pdma__jfail(c, "expected an object such as {\"vendor\": \"amd\", \"family\": 23}, not %s",
				   pdma__jtype(o));
	ret = pdma__jcheck_keys(c, o, keys, "the CPU");
	if (!ret)
		ret = pdma__jget_str(c, o, "vendor", vendor, sizeof(vendor), &got);
	if (!ret && got && pdma__topo_cpu_parse(vendor, &pi->cpu_vendor))
		ret = pdma__jfail_at(c, "vendor", "unknown CPU vendor \"%s\" (intel, amd, other or unknown)",
			      pdma__jshown(vendor, sb, sizeof(sb)));
	if (!ret)
		ret = pdma__jget_num(c, o, "family", -1, 0xfff, false, &fam, &got);
	if (!ret && got)
		pi->cpu_family = (int)fam;
	if (!ret)
		ret = pdma__jget_str(c, o, "model", pi->cpu_model,
			      sizeof(pi->cpu_model), NULL);
	if (!ret)
		ret = pdma__jget_str(c, o, "source", pi->cpu_source,
			      sizeof(pi->cpu_source), &got_src);
	if (!ret && !got_src)
		snprintf(pi->cpu_source, sizeof(pi->cpu_source), "%s", c->name);
	return ret;
}

static int parse_platform(struct pdma_jctx *c, json_t *o)
{
	static const char *const keys[] = { "cpu", "iommu", "cmdline",
					    "source", NULL };
	struct pdma_platform_info *pi = &c->pi;
	json_t *cpu;
	bool got;
	int ret;

	if (!json_is_object(o))
		return pdma__jfail(c, "expected an object, not %s", pdma__jtype(o));
	ret = pdma__jcheck_keys(c, o, keys, "the platform");
	if (ret)
		return ret;
	cpu = json_object_get(o, "cpu");
	if (cpu) {
		pdma__jpush_key(c, "cpu");
		ret = parse_cpu(c, cpu);
		pdma__jpop(c);
		if (ret)
			return ret;
	}
	ret = pdma__jget_bool(c, o, "iommu", &pi->iommu, NULL);
	if (!ret)
		ret = pdma__jget_str(c, o, "cmdline", pi->cmdline, sizeof(pi->cmdline),
			      NULL);
	if (!ret)
		ret = pdma__jget_str(c, o, "source", pi->source, sizeof(pi->source),
			      &got);
	if (!ret && !got)
		snprintf(pi->source, sizeof(pi->source), "topology file %s",
			 c->name);
	return ret;
}

static int parse_groups(struct pdma_jctx *c, json_t *o)
{
	const char *key;
	char sb[48];
	json_t *v;
	int ret = 0;

	if (!json_is_object(o))
		return pdma__jfail(c, "expected an object such as {\"3\": \"DMA\"}, not %s",
				   pdma__jtype(o));
	c->group_id = calloc(json_object_size(o) + 1, sizeof(int));
	c->group_type = calloc(json_object_size(o) + 1, sizeof(*c->group_type));
	if (!c->group_id || !c->group_type)
		return -ENOMEM;
	json_object_foreach(o, key, v) {
		uint64_t id;

		pdma__jpush_key(c, key);
		if (pdma__topo_parse_u64(key, &id) || key[1] == 'x' ||
		    id > 1 << 20)
			ret = pdma__jfail_key(c, "an IOMMU group is a number from 0 to %d, not \"%s\"",
					      1 << 20, pdma__jshown(key, sb, sizeof(sb)));
		else if (!json_is_string(v))
			ret = pdma__jfail(c, "expected a domain type (\"DMA\", \"identity\", ...), not %s",
					  pdma__jtype(v));
		else if (pdma__topo_iommu_parse(json_string_value(v),
						&c->group_type[c->nr_groups]))
			ret = pdma__jfail(c, "unknown domain type \"%s\" (DMA, DMA-FQ, identity, blocked, unmanaged or none)",
					  pdma__jshown(json_string_value(v), sb, sizeof(sb)));
		pdma__jpop(c);
		if (ret)
			return ret;
		c->group_id[c->nr_groups++] = (int)id;
	}
	return 0;
}

static int parse_notes(struct pdma_jctx *c, json_t *a)
{
	size_t i;
	json_t *v;

	if (!json_is_array(a))
		return pdma__jfail(c, "expected an array of strings, not %s",
				   pdma__jtype(a));
	json_array_foreach(a, i, v) {
		if (json_is_string(v))
			continue;
		pdma__jpush_idx(c, (int)i);
		pdma__jfail(c, "expected a string, not %s", pdma__jtype(v));
		pdma__jpop(c);
		return -EINVAL;
	}
	c->notes = a;
	return 0;
}

/* ---- functions ---------------------------------------------------------- */

static int parse_host_bridge(struct pdma_jctx *c, json_t *o, int idx)
{
	static const char *const keys[] = { "domain", "bus", "numa_node",
					    "name", "firmware_path",
					    "children", NULL };
	struct pdma_jhb *hb;
	int64_t v;
	json_t *kids, *k;
	size_t i;
	bool got;
	int ret, cursor = -1;

	if (!json_is_object(o))
		return pdma__jfail(c, "a host bridge is an object, not %s",
				   pdma__jtype(o));
	ret = pdma__jcheck_keys(c, o, keys, "a host bridge");
	if (ret)
		return ret;
	if (c->nr_hbs == c->cap_hbs) {
		int ncap = c->cap_hbs ? c->cap_hbs * 2 : 8;
		struct pdma_jhb *n = realloc(c->hbs, sizeof(*n) * (size_t)ncap);

		if (!n)
			return -ENOMEM;
		c->hbs = n;
		c->cap_hbs = ncap;
	}
	hb = &c->hbs[c->nr_hbs++];
	memset(hb, 0, sizeof(*hb));
	hb->info.numa_node = -1;
	hb->first_child = hb->last_child = -1;
	ret = pdma__jget_num(c, o, "domain", 0, 0xffff, true, &v, &got);
	if (!ret && got)
		hb->info.domain = (uint16_t)v;
	if (!ret)
		ret = pdma__jget_num(c, o, "bus", 0, 0xff, true, &v, &got);
	if (!ret && got)
		hb->info.bus = (uint8_t)v;
	if (!ret)
		ret = pdma__jget_num(c, o, "numa_node", -1, 1023, false, &v, &got);
	if (!ret && got)
		hb->info.numa_node = (int)v;
	if (!ret)
		ret = pdma__jget_str(c, o, "name", hb->info.name,
			      sizeof(hb->info.name), NULL);
	if (!ret)
		ret = pdma__jget_str(c, o, "firmware_path", hb->info.firmware_path,
			      sizeof(hb->info.firmware_path), NULL);
	if (ret)
		return ret;
	for (int j = 0; j < idx; j++)
		if (c->hbs[j].info.domain == hb->info.domain &&
		    c->hbs[j].info.bus == hb->info.bus)
			return pdma__jfail(c, "host bridge %04x:%02x is declared twice (also $.host_bridges[%d])",
					   hb->info.domain, hb->info.bus, j);
	kids = json_object_get(o, "children");
	if (!kids)
		return 0;
	pdma__jpush_key(c, "children");
	if (!json_is_array(kids)) {
		ret = pdma__jfail(c, "expected an array of functions, not %s",
				  pdma__jtype(kids));
		goto out;
	}
	json_array_foreach(kids, i, k) {
		pdma__jpush_idx(c, (int)i);
		ret = pdma__jparse_func(c, k, -1, idx, (int)i, 0, &cursor);
		pdma__jpop(c);
		if (ret)
			break;
	}
out:
	pdma__jpop(c);
	return ret;
}


/* The optional top-level sections, in the order they are applied. */
static const struct {
	const char *key;
	int (*parse)(struct pdma_jctx *c, json_t *v);
} optional[] = {
	{ "platform", parse_platform },
	{ "iommu_groups", parse_groups },
	{ "notes", parse_notes },
};

static int parse_root(struct pdma_jctx *c)
{
	static const char *const keys[] = { "schema", "platform",
					    "iommu_groups", "notes",
					    "host_bridges", NULL };
	json_t *r = c->root, *v, *hbs;
	char sb[48];
	size_t i;
	int ret;

	if (!json_is_object(r))
		return pdma__jfail(c, "a topology file holds one object, not %s",
				   pdma__jtype(r));
	v = json_object_get(r, "schema");
	if (!v)
		return pdma__jfail(c, "missing \"schema\": \"%s\" (the first key of every topology file)",
				   PDMA_TOPO_SCHEMA);
	if (!json_is_string(v))
		return pdma__jfail_at(c, "schema", "expected the string \"%s\", not %s",
				      PDMA_TOPO_SCHEMA, pdma__jtype(v));
	if (strcmp(json_string_value(v), PDMA_TOPO_SCHEMA)) {
		const char *s = json_string_value(v);

		if (!strncmp(s, "peerdma-topology/", 17))
			return pdma__jfail_at(c, "schema", "unsupported schema \"%s\": this peerdma reads \"%s\"",
					      pdma__jshown(s, sb, sizeof(sb)),
					      PDMA_TOPO_SCHEMA);
		return pdma__jfail_at(c, "schema", "\"%s\" is not a peerdma topology schema (expected \"%s\")",
				      pdma__jshown(s, sb, sizeof(sb)),
				      PDMA_TOPO_SCHEMA);
	}
	ret = pdma__jcheck_keys(c, r, keys, "the top level");
	if (ret)
		return ret;
	c->pi.cpu_family = -1;
	snprintf(c->pi.source, sizeof(c->pi.source), "topology file %s",
		 c->name);
	for (size_t s = 0; s < sizeof(optional) / sizeof(optional[0]); s++) {
		if (!(v = json_object_get(r, optional[s].key)))
			continue;
		pdma__jpush_key(c, optional[s].key);
		ret = optional[s].parse(c, v);
		pdma__jpop(c);
		if (ret)
			return ret;
	}
	hbs = json_object_get(r, "host_bridges");
	if (!hbs)
		return pdma__jfail(c, "missing \"host_bridges\": [...] (the machine's root complexes and what hangs below them)");
	pdma__jpush_key(c, "host_bridges");
	if (!json_is_array(hbs)) {
		ret = pdma__jfail(c, "expected an array of host bridges, not %s",
				  pdma__jtype(hbs));
		goto out;
	}
	json_array_foreach(hbs, i, v) {
		pdma__jpush_idx(c, (int)i);
		ret = parse_host_bridge(c, v, (int)i);
		pdma__jpop(c);
		if (ret)
			break;
	}
out:
	pdma__jpop(c);
	return ret;
}

/* ---- entry points ------------------------------------------------------ */

int pdma_load_json_mem(const char *buf, size_t len, const char *name,
		       struct pdma_fabric **out, struct pdma_error *err)
{
	struct pdma_jctx *c;
	json_error_t jerr;
	int ret;

	*out = NULL;
	if (!name)
		name = "(memory)";
	c = calloc(1, sizeof(*c));
	if (!c) {
		pdma__err(err, "%s: out of memory", name);
		return -ENOMEM;
	}
	c->name = name;
	c->buf = buf;
	c->len = len;
	c->err = err;
	c->root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!c->root) {
		if (jerr.line > 0)
			pdma__err(err, "%s:%d:%d: %s", name, jerr.line,
				  jerr.column > 0 ? jerr.column : 1, jerr.text);
		else
			pdma__err(err, "%s: %s", name, jerr.text);
		ret = -EINVAL;
		goto out;
	}
	ret = parse_root(c);
	if (!ret)
		ret = pdma__jtree_build(c, out);
	if (ret == -ENOMEM)
		pdma__err(err, "%s: out of memory", name);
out:
	json_decref(c->root);
	free(c->nodes);
	free(c->hbs);
	free(c->group_id);
	free(c->group_type);
	free(c);
	return ret;
}

int pdma_load_json(const char *path, struct pdma_fabric **out,
		   struct pdma_error *err)
{
	FILE *f;
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int ret;

	*out = NULL;
	f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	if (!f) {
		ret = -errno;
		pdma__err(err, "%s: cannot open: %s", path, strerror(errno));
		return ret;
	}
	for (;;) {
		size_t n;

		if (len == cap) {
			char *nb = realloc(buf, cap ? cap * 2 : 65536);

			if (!nb) {
				ret = -ENOMEM;
				pdma__err(err, "%s: out of memory", path);
				goto out;
			}
			buf = nb;
			cap = cap ? cap * 2 : 65536;
		}
		errno = 0;
		n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		ret = errno ? -errno : -EIO;
		pdma__err(err, "%s: cannot read: %s", path, strerror(-ret));
		goto out;
	}
	ret = pdma_load_json_mem(buf, len, strcmp(path, "-") ? path : "(stdin)",
				 out, err);
out:
	free(buf);
	if (f != stdin)
		fclose(f);
	return ret;
}
