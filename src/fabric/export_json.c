/* SPDX-License-Identifier: MIT */
/*
 * pdma_export_json(): a fabric from any source, written as a topology file
 * (docs/topology-format.md).
 *
 * The output is exact: loading it gives the same model, so exporting again
 * gives the same bytes.  It is also short where that costs nothing: a value
 * the loader would derive by itself (multifunction, a NUMA node equal to the
 * host bridge's, empty fields) is left out, by the same rules the loader
 * applies.  Keys come in a fixed order; small objects are written on one
 * line, big ones one key per line.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <peerdma/source.h>

#include "topo_json.h"

/*
 * Objects and arrays whose one-line form fits this width stay on one line;
 * deep in the tree, those of up to 80 characters do.
 */
#define LINE_WIDTH 100

/* json_object_set_new() that tolerates a NULL value (sets *bad instead). */
static void put(json_t *o, const char *key, json_t *v, bool *bad)
{
	if (!v || json_object_set_new(o, key, v))
		*bad = true;
}

static json_t *hex(unsigned long long v, int digits)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "0x%0*llx", digits, v);
	return json_string(buf);
}

/* Text as jansson wants it: valid UTF-8 (bytes that are not become '?'). */
static json_t *text(const char *s)
{
	char *copy;
	json_t *v;
	size_t n = strlen(s);

	v = json_stringn(s, n);
	if (v)
		return v;
	copy = strdup(s);
	if (!copy)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)copy[i] >= 0x80)
			copy[i] = '?';
	v = json_string(copy);
	free(copy);
	return v;
}

static json_t *size_value(uint64_t v)
{
	char buf[32];

	pdma__topo_size_format(v, buf, sizeof(buf));
	if (buf[0])
		return json_string(buf);
	return json_integer((json_int_t)v);
}

static json_t *link_value(struct pdma_link l)
{
	char buf[32];

	pdma__topo_link_format(l, buf, sizeof(buf));
	return json_string(buf);
}

static bool link_known(struct pdma_link l)
{
	return l.gen || l.width;
}

static json_t *link_json(const struct pdma_func_info *fi, bool *bad)
{
	json_t *o;

	if (fi->link_cur.gen == fi->link_max.gen &&
	    fi->link_cur.width == fi->link_max.width)
		return link_value(fi->link_cur);
	o = json_object();
	if (!o)
		return NULL;
	if (link_known(fi->link_cur))
		put(o, "cur", link_value(fi->link_cur), bad);
	if (link_known(fi->link_max))
		put(o, "max", link_value(fi->link_max), bad);
	return o;
}

static json_t *bar_json(int idx, const struct pdma_bar *b, bool *bad)
{
	unsigned known = PDMA_BAR_MEM | PDMA_BAR_64 | PDMA_BAR_PREFETCH;
	json_t *o = json_object();

	if (!o)
		return NULL;
	put(o, "index", json_integer(idx), bad);
	put(o, "size", size_value(b->size), bad);
	if (b->addr)
		put(o, "addr", hex(b->addr, 0), bad);
	if ((b->flags & ~known) || (!(b->flags & PDMA_BAR_MEM) && b->flags)) {
		put(o, "flags", hex(b->flags, 0), bad);
		return o;
	}
	put(o, "type", json_string(!(b->flags & PDMA_BAR_MEM) ? "io" :
				   (b->flags & PDMA_BAR_64) ? "mem64" : "mem32"),
	    bad);
	if (b->flags & PDMA_BAR_PREFETCH)
		put(o, "prefetch", json_true(), bad);
	return o;
}

/*
 * What the loader assumes when "multifunction" is absent: function 0 of a
 * device that has other functions.  Functions are sorted by address, so
 * they are next to it.
 */
static bool mf_default(const struct pdma_fabric *fab,
		       const struct pdma_func_info *fi)
{
	for (int i = fi->index - 1; i <= fi->index + 1; i += 2) {
		const struct pdma_func_info *o = pdma_fabric_func(fab, i);

		if (o && o->domain == fi->domain && o->bus == fi->bus &&
		    o->dev == fi->dev)
			return fi->fn == 0;
	}
	return false;
}

static json_t *func_json(const struct pdma_fabric *fab, int idx, bool *bad);

static json_t *children_json(const struct pdma_fabric *fab, int first,
			     bool *bad)
{
	json_t *a = json_array();

	if (!a)
		return NULL;
	for (int c = first; c >= 0; c = fab->funcs[c].next_sibling)
		if (json_array_append_new(a, func_json(fab, c, bad)))
			*bad = true;
	return a;
}

static void ids_json(json_t *o, const struct pdma_func_info *fi, bool *bad)
{
	const struct pdma_topo_kind *k =
		pdma__topo_kind_of(fi->header_type, fi->pcie_type);

	if (k) {
		put(o, "kind", json_string(k->name), bad);
	} else {
		put(o, "header_type", hex(fi->header_type, 2), bad);
		put(o, "pcie_type", fi->pcie_type == PDMA_PCIE_NONE ?
					    json_string("none") :
					    hex((unsigned)fi->pcie_type & 0xf, 1),
		    bad);
	}
	put(o, "vendor", hex(fi->vendor, 4), bad);
	put(o, "device", hex(fi->device, 4), bad);
	if (fi->subsys_vendor || fi->subsys_device) {
		put(o, "subsystem_vendor", hex(fi->subsys_vendor, 4), bad);
		put(o, "subsystem_device", hex(fi->subsys_device, 4), bad);
	}
	if (fi->revision)
		put(o, "revision", hex(fi->revision, 2), bad);
	put(o, "class", hex(fi->class_code, 6), bad);
}

static json_t *func_json(const struct pdma_fabric *fab, int idx, bool *bad)
{
	const struct pdma_func_info *fi = pdma_fabric_func(fab, idx);
	const struct pdma_host_bridge_info *hb =
		pdma_fabric_host_bridge(fab, fi->host_bridge);
	json_t *o = json_object(), *bars;
	char bdf[16];

	if (!o)
		return NULL;
	put(o, "bdf", json_string(pdma_bdf_format(fi, bdf, sizeof(bdf))), bad);
	put(o, "label", text(fi->label), bad);
	ids_json(o, fi, bad);
	if (fi->multifunction != mf_default(fab, fi))
		put(o, "multifunction", json_boolean(fi->multifunction), bad);
	if (fi->name[0])
		put(o, "name", text(fi->name), bad);
	if (fi->driver[0])
		put(o, "driver", text(fi->driver), bad);
	if (!hb || fi->numa_node != hb->numa_node)
		put(o, "numa_node", json_integer(fi->numa_node), bad);
	if (fi->iommu_group >= 0)
		put(o, "iommu_group", json_integer(fi->iommu_group), bad);
	if (pdma_fabric_is_bridge(fi)) {
		put(o, "secondary_bus", hex(fi->secondary_bus, 2), bad);
		put(o, "subordinate_bus", hex(fi->subordinate_bus, 2), bad);
	}
	if (link_known(fi->link_cur) || link_known(fi->link_max))
		put(o, "link", link_json(fi, bad), bad);
	if (!fi->acs_known && !fi->has_acs) {
		put(o, "acs", json_string("unknown"), bad);
	} else if (fi->has_acs) {
		json_t *a = json_object();

		if (a) {
			put(a, "cap", hex(fi->acs_cap, 4), bad);
			put(a, "ctrl", hex(fi->acs_ctrl, 4), bad);
			if (!fi->acs_known)
				put(a, "known", json_false(), bad);
		}
		put(o, "acs", a, bad);
	}
	if (fi->p2pmem.present) {
		json_t *p = json_object();

		if (p) {
			put(p, "size", size_value(fi->p2pmem.size), bad);
			if (fi->p2pmem.available != fi->p2pmem.size)
				put(p, "available",
				    size_value(fi->p2pmem.available), bad);
			if (!fi->p2pmem.published)
				put(p, "published", json_false(), bad);
		}
		put(o, "p2pmem", p, bad);
	}
	bars = json_array();
	for (int b = 0; bars && b < 6; b++) {
		const struct pdma_bar *bar = &fi->bars[b];

		if ((bar->size || bar->addr || bar->flags) &&
		    json_array_append_new(bars, bar_json(b, bar, bad)))
			*bad = true;
	}
	if (bars && json_array_size(bars))
		put(o, "bars", bars, bad);
	else
		json_decref(bars);
	if (fab->funcs[idx].first_child >= 0)
		put(o, "children",
		    children_json(fab, fab->funcs[idx].first_child, bad), bad);
	return o;
}

static json_t *platform_json(const struct pdma_fabric *fab, bool *bad)
{
	const struct pdma_platform_info *pi = pdma_fabric_platform(fab);
	json_t *o = json_object();

	if (!o)
		return NULL;
	if (pi->cpu_vendor != PDMA_CPU_UNKNOWN || pi->cpu_family != -1 ||
	    pi->cpu_model[0] || pi->cpu_source[0]) {
		json_t *cpu = json_object();

		if (cpu) {
			put(cpu, "vendor",
			    json_string(pdma__topo_cpu_name(pi->cpu_vendor)),
			    bad);
			if (pi->cpu_family != -1)
				put(cpu, "family", json_integer(pi->cpu_family),
				    bad);
			if (pi->cpu_model[0])
				put(cpu, "model", text(pi->cpu_model), bad);
			put(cpu, "source", text(pi->cpu_source), bad);
		}
		put(o, "cpu", cpu, bad);
	}
	put(o, "iommu", json_boolean(pi->iommu), bad);
	if (pi->cmdline[0])
		put(o, "cmdline", text(pi->cmdline), bad);
	put(o, "source", text(pi->source), bad);
	return o;
}

static json_t *fabric_json(const struct pdma_fabric *fab)
{
	json_t *root = json_object(), *hbs, *groups, *notes;
	bool bad = !root;

	if (bad)
		return NULL;
	put(root, "schema", json_string(PDMA_TOPO_SCHEMA), &bad);
	put(root, "platform", platform_json(fab, &bad), &bad);
	groups = json_object();
	for (int g = 0; groups && g < fab->nr_groups; g++) {
		char key[16];

		if (fab->group_type[g] == PDMA_IOMMU_NONE)
			continue;
		snprintf(key, sizeof(key), "%d", g);
		put(groups, key,
		    json_string(pdma_iommu_type_name(fab->group_type[g])), &bad);
	}
	if (groups && json_object_size(groups))
		put(root, "iommu_groups", groups, &bad);
	else
		json_decref(groups);
	if (pdma_fabric_nr_notes(fab)) {
		notes = json_array();
		for (int i = 0; notes && i < pdma_fabric_nr_notes(fab); i++)
			if (json_array_append_new(notes,
						  text(pdma_fabric_note(fab, i))))
				bad = true;
		put(root, "notes", notes, &bad);
	}
	hbs = json_array();
	for (int h = 0; hbs && h < pdma_fabric_nr_host_bridges(fab); h++) {
		const struct pdma_host_bridge_info *hb =
			pdma_fabric_host_bridge(fab, h);
		json_t *o = json_object(), *kids = json_array();

		if (!o || !kids) {
			json_decref(o);
			json_decref(kids);
			bad = true;
			break;
		}
		put(o, "domain", hex(hb->domain, 4), &bad);
		put(o, "bus", hex(hb->bus, 2), &bad);
		put(o, "name", text(hb->name), &bad);
		put(o, "numa_node", json_integer(hb->numa_node), &bad);
		if (hb->firmware_path[0])
			put(o, "firmware_path", text(hb->firmware_path), &bad);
		for (int i = 0; i < fab->nr_funcs; i++)
			if (fab->funcs[i].info.parent == PDMA_NONE &&
			    fab->funcs[i].info.host_bridge == h &&
			    json_array_append_new(kids, func_json(fab, i, &bad)))
				bad = true;
		put(o, "children", kids, &bad);
		if (json_array_append_new(hbs, o))
			bad = true;
	}
	put(root, "host_bridges", hbs, &bad);
	if (bad) {
		json_decref(root);
		return NULL;
	}
	return root;
}

/* ---- writing ----------------------------------------------------------- */

static int emit(FILE *f, json_t *v, int indent, int used);

/*
 * The length of @v written on one line, exact up to @limit; beyond it, some
 * number above @limit (so that a big tree is not written out to learn it
 * does not fit).
 */
static size_t flat_len(json_t *v, size_t limit)
{
	size_t n = 2, i;
	const char *key;
	json_t *x;
	char *s;

	if (json_is_object(v)) {
		json_object_foreach(v, key, x) {
			json_t *k = json_string(key);

			s = k ? json_dumps(k, JSON_ENCODE_ANY) : NULL;
			json_decref(k);
			n += (n > 2 ? 2 : 0) + (s ? strlen(s) : limit) + 2;
			free(s);
			if (n > limit)
				return n;
			n += flat_len(x, limit - n);
			if (n > limit)
				return n;
		}
		return n;
	}
	if (json_is_array(v)) {
		json_array_foreach(v, i, x) {
			n += (i ? 2 : 0) + flat_len(x, limit > n ? limit - n : 0);
			if (n > limit)
				return n;
		}
		return n;
	}
	s = json_dumps(v, JSON_ENCODE_ANY);
	n = s ? strlen(s) : limit + 1;
	free(s);
	return n;
}

static int emit_key(FILE *f, const char *key, int indent)
{
	json_t *k = json_string(key);
	char *s = k ? json_dumps(k, JSON_ENCODE_ANY) : NULL;
	int n;

	json_decref(k);
	if (!s)
		return -1;
	n = fprintf(f, "%*s%s: ", indent, "", s);
	free(s);
	return n;
}

/*
 * Write @v at column @used (the key already written), inside a container
 * indented by @indent.  Returns the bytes written or -1.
 */
static int emit(FILE *f, json_t *v, int indent, int used)
{
	size_t room = (size_t)(LINE_WIDTH - used), len, i, n;
	const char *key;
	json_t *x;
	char *one;
	int w = 0;

	if (room < (size_t)(LINE_WIDTH - 20 - (used - indent)))
		room = (size_t)(LINE_WIDTH - 20 - (used - indent));
	len = flat_len(v, room);
	if ((!json_is_object(v) && !json_is_array(v)) ||
	    (len <= room &&
	     !(json_is_object(v) && json_object_get(v, "children"))) ||
	    (json_is_object(v) ? json_object_size(v) : json_array_size(v)) == 0) {
		one = json_dumps(v, JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
		if (!one)
			return -1;
		w = fputs(one, f) < 0 ? -1 : (int)strlen(one);
		free(one);
		return w;
	}
	if (fputs(json_is_object(v) ? "{\n" : "[\n", f) < 0)
		return -1;
	n = json_is_object(v) ? json_object_size(v) : json_array_size(v);
	i = 0;
	if (json_is_object(v)) {
		json_object_foreach(v, key, x) {
			int k = emit_key(f, key, indent + 2);

			if (k < 0 || emit(f, x, indent + 2, k) < 0 ||
			    fputs(++i < n ? ",\n" : "\n", f) < 0)
				return -1;
		}
	} else {
		json_array_foreach(v, i, x) {
			if (fprintf(f, "%*s", indent + 2, "") < 0 ||
			    emit(f, x, indent + 2, indent + 2) < 0 ||
			    fputs(i + 1 < n ? ",\n" : "\n", f) < 0)
				return -1;
		}
	}
	if (fprintf(f, "%*s%c", indent, "", json_is_object(v) ? '}' : ']') < 0)
		return -1;
	return w;
}

int pdma_export_json(const struct pdma_fabric *fab, FILE *f)
{
	json_t *root = fabric_json(fab);
	int ret = 0;

	if (!root)
		return -ENOMEM;
	if (emit(f, root, 0, 0) < 0 || fputc('\n', f) == EOF || ferror(f))
		ret = -EIO;
	json_decref(root);
	return ret;
}
