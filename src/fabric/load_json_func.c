/* SPDX-License-Identifier: MIT */
/*
 * Topology files: one function object (address, kind, ids, BARs, link,
 * ACS, p2pmem) and, recursively, the functions below it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "load_json.h"

#define KIND_NAMES "endpoint, rciep, pci_device, host_bridge, root_port, switch_upstream, switch_downstream, pcie_to_pci_bridge, pci_bridge, ..."

static int new_node(struct pdma_jctx *c, int parent, int hb, int slot)
{
	struct pdma_jnode *nd;
	int n;

	if (c->nr_nodes == c->cap_nodes) {
		int ncap = c->cap_nodes ? c->cap_nodes * 2 : 32;

		nd = realloc(c->nodes, sizeof(*nd) * (size_t)ncap);
		if (!nd)
			return -ENOMEM;
		c->nodes = nd;
		c->cap_nodes = ncap;
	}
	n = c->nr_nodes++;
	nd = &c->nodes[n];
	memset(nd, 0, sizeof(*nd));
	nd->parent = parent;
	nd->hb = hb;
	nd->slot = slot;
	nd->first_child = nd->last_child = nd->next_sibling = -1;
	nd->fi.numa_node = -1;
	nd->fi.iommu_group = -1;
	nd->fi.acs_known = true;
	nd->fi.parent = PDMA_NONE;
	nd->fi.host_bridge = hb;
	nd->fi.domain = c->hbs[hb].info.domain;
	if (parent >= 0) {
		struct pdma_jnode *p = &c->nodes[parent];

		if (p->last_child >= 0)
			c->nodes[p->last_child].next_sibling = n;
		else
			p->first_child = n;
		p->last_child = n;
	} else {
		struct pdma_jhb *h = &c->hbs[hb];

		if (h->last_child >= 0)
			c->nodes[h->last_child].next_sibling = n;
		else
			h->first_child = n;
		h->last_child = n;
	}
	return n;
}

/*
 * "bdf", or "bus"/"dev"/"fn".  Without a device number, a function takes
 * the device after the previous sibling's (0 for the first), or the same
 * one when it names a function other than 0.
 */
static int parse_addr(struct pdma_jctx *c, json_t *o, struct pdma_jnode *nd,
		      int *cursor)
{
	json_t *bdf = json_object_get(o, "bdf");
	struct pdma_func_info *fi = &nd->fi;
	bool gd, gf;
	int64_t v;
	char sb[48];
	int ret;

	if (bdf) {
		const char *s;
		uint16_t dom;

		if (json_object_get(o, "bus") || json_object_get(o, "dev") ||
		    json_object_get(o, "fn"))
			return pdma__jfail_at(c, "bdf", "give either \"bdf\" or \"bus\"/\"dev\"/\"fn\", not both");
		if (!json_is_string(bdf))
			return pdma__jfail_at(c, "bdf", "expected an address such as \"0000:03:00.0\", not %s",
					      pdma__jtype(bdf));
		s = json_string_value(bdf);
		if (strspn(s, "0123456789abcdefABCDEF:.") != strlen(s) ||
		    pdma_bdf_parse(s, &dom, &fi->bus, &fi->dev, &fi->fn))
			return pdma__jfail_at(c, "bdf", "bad address \"%s\" (write \"0000:03:00.0\" or \"03:00.0\"; device 00-1f, function 0-7)",
					      pdma__jshown(s, sb, sizeof(sb)));
		nd->has_bus = true;
		nd->has_domain = strlen(s) == 12;
		if (nd->has_domain && dom != fi->domain)
			return pdma__jfail_at(c, "bdf", "domain %04x differs from its host bridge's (%04x)",
					      dom, fi->domain);
		*cursor = fi->dev;
		return 0;
	}
	ret = pdma__jget_num(c, o, "bus", 0, 0xff, true, &v, &nd->has_bus);
	if (ret)
		return ret;
	fi->bus = (uint8_t)v;
	ret = pdma__jget_num(c, o, "fn", 0, 7, false, &v, &gf);
	if (ret)
		return ret;
	fi->fn = gf ? (uint8_t)v : 0;
	ret = pdma__jget_num(c, o, "dev", 0, 31, true, &v, &gd);
	if (ret)
		return ret;
	if (!gd) {
		v = (gf && fi->fn) ? (*cursor < 0 ? 0 : *cursor) : *cursor + 1;
		if (v > 31)
			return pdma__jfail(c, "no device number is left after 31 on this bus: give \"dev\" or \"bdf\"");
	}
	fi->dev = (uint8_t)v;
	*cursor = fi->dev;
	return 0;
}

/* The kind a function has when the file gives none: see the format doc. */
static const struct pdma_topo_kind *infer_kind(struct pdma_jctx *c,
					       int parent, bool has_children)
{
	const struct pdma_func_info *p =
		parent >= 0 ? &c->nodes[parent].fi : NULL;

	if (has_children) {
		if (!p)
			return pdma__topo_kind_find("root_port");
		if (p->pcie_type == PDMA_PCIE_ROOT_PORT ||
		    p->pcie_type == PDMA_PCIE_DOWNSTREAM)
			return pdma__topo_kind_find("switch_upstream");
		if (p->pcie_type == PDMA_PCIE_UPSTREAM)
			return pdma__topo_kind_find("switch_downstream");
		return pdma__topo_kind_find("pci_bridge");
	}
	if (!p)
		return pdma__topo_kind_find("rciep");
	if (p->pcie_type == PDMA_PCIE_PCIE_TO_PCI ||
	    p->pcie_type == PDMA_PCIE_NONE)
		return pdma__topo_kind_find("pci_device");
	return pdma__topo_kind_find("endpoint");
}

static int parse_kind(struct pdma_jctx *c, json_t *o, struct pdma_jnode *nd,
		      int parent)
{
	const struct pdma_topo_kind *k;
	struct pdma_func_info *fi = &nd->fi;
	char kind[32], sb[48];
	json_t *v;
	int64_t x;
	bool got;
	int ret;

	ret = pdma__jget_str(c, o, "kind", kind, sizeof(kind), &got);
	if (ret)
		return ret;
	if (got) {
		k = pdma__topo_kind_find(kind);
		if (!k)
			return pdma__jfail_at(c, "kind", "unknown kind \"%s\" (" KIND_NAMES ")",
					      pdma__jshown(kind, sb, sizeof(sb)));
	} else {
		k = infer_kind(c, parent, json_object_get(o, "children"));
	}
	fi->header_type = k->header_type;
	fi->pcie_type = k->pcie_type;
	fi->class_code = k->class_code;
	ret = pdma__jget_num(c, o, "header_type", 0, 0xff, true, &x, &got);
	if (ret)
		return ret;
	if (got)
		fi->header_type = (uint8_t)x;
	v = json_object_get(o, "pcie_type");
	if (v && json_is_string(v) && !strcmp(json_string_value(v), "none")) {
		fi->pcie_type = PDMA_PCIE_NONE;
	} else if (v) {
		pdma__jpush_key(c, "pcie_type");
		ret = pdma__jnum_value(c, v, 0, 0xf, true, &x);
		pdma__jpop(c);
		if (ret)
			return ret;
		fi->pcie_type = (int)x;
	}
	v = json_object_get(o, "class");
	if (v && json_is_string(v) &&
	    !pdma__topo_class_parse(json_string_value(v), &fi->class_code))
		return 0;
	if (v && json_is_string(v) && json_string_value(v)[0] >= 'a' &&
	    json_string_value(v)[0] <= 'z')
		return pdma__jfail_at(c, "class", "unknown class \"%s\": give a code such as \"0x010802\" or one of %s",
				      pdma__jshown(json_string_value(v), sb, sizeof(sb)),
				      pdma__topo_class_names());
	ret = pdma__jget_num(c, o, "class", 0, 0xffffff, true, &x, &got);
	if (!ret && got)
		fi->class_code = (uint32_t)x;
	return ret;
}

static int parse_ids(struct pdma_jctx *c, json_t *o, struct pdma_func_info *fi)
{
	static const char *const keys[] = { "vendor", "device",
					    "subsystem_vendor",
					    "subsystem_device" };
	uint16_t *dst[] = { &fi->vendor, &fi->device, &fi->subsys_vendor,
			    &fi->subsys_device };
	int64_t v;
	bool got;
	int ret;

	for (int i = 0; i < 4; i++) {
		ret = pdma__jget_num(c, o, keys[i], 0, 0xffff, true, &v, &got);
		if (ret)
			return ret;
		if (got)
			*dst[i] = (uint16_t)v;
	}
	ret = pdma__jget_num(c, o, "revision", 0, 0xff, true, &v, &got);
	if (!ret && got)
		fi->revision = (uint8_t)v;
	return ret;
}

static int parse_label(struct pdma_jctx *c, json_t *o, struct pdma_func_info *fi)
{
	uint16_t d;
	uint8_t b, v, f;
	bool got;
	int ret;

	ret = pdma__jget_str(c, o, "label", fi->label, sizeof(fi->label), &got);
	if (ret || !got)
		return ret;
	if (!fi->label[0])
		return pdma__jfail_at(c, "label", "a label may not be empty (leave it out to get one like \"nvme0\")");
	for (const char *p = fi->label; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return pdma__jfail_at(c, "label", "a label may not hold spaces or control characters");
	if (!pdma_bdf_parse(fi->label, &d, &b, &v, &f))
		return pdma__jfail_at(c, "label", "\"%s\" looks like an address; a label must not",
				      fi->label);
	return 0;
}

/* ---- the function ------------------------------------------------------ */

/* Call @fn on obj[@key] with the path pointing at it, if present. */
static int sub(struct pdma_jctx *c, json_t *o, const char *key,
	       int (*fn)(struct pdma_jctx *, json_t *, struct pdma_func_info *),
	       struct pdma_func_info *fi)
{
	json_t *v = json_object_get(o, key);
	int ret;

	if (!v)
		return 0;
	pdma__jpush_key(c, key);
	ret = fn(c, v, fi);
	pdma__jpop(c);
	return ret;
}

static int parse_fields(struct pdma_jctx *c, json_t *o, struct pdma_jnode *nd,
			int parent, int *cursor)
{
	struct pdma_func_info *fi = &nd->fi;
	bool bridge;
	int64_t v;
	int ret;

	ret = parse_addr(c, o, nd, cursor);
	if (!ret)
		ret = parse_kind(c, o, nd, parent);
	if (!ret)
		ret = parse_ids(c, o, fi);
	if (!ret)
		ret = pdma__jget_bool(c, o, "multifunction", &fi->multifunction,
				      &nd->has_mf);
	if (!ret)
		ret = parse_label(c, o, fi);
	if (!ret)
		ret = pdma__jget_str(c, o, "name", fi->name, sizeof(fi->name),
				     NULL);
	if (!ret)
		ret = pdma__jget_str(c, o, "driver", fi->driver,
				     sizeof(fi->driver), NULL);
	if (!ret)
		ret = pdma__jget_num(c, o, "numa_node", -1, 1023, false, &v,
				     &nd->has_numa);
	if (ret)
		return ret;
	if (nd->has_numa)
		fi->numa_node = (int)v;
	ret = pdma__jget_num(c, o, "iommu_group", -1, 1 << 20, false, &v, NULL);
	if (ret)
		return ret;
	if (json_object_get(o, "iommu_group"))
		fi->iommu_group = (int)v;
	bridge = pdma_fabric_is_bridge(fi);
	ret = pdma__jget_num(c, o, "secondary_bus", 0, 0xff, true, &v,
			     &nd->has_sec);
	if (!ret && nd->has_sec)
		fi->secondary_bus = (uint8_t)v;
	if (!ret)
		ret = pdma__jget_num(c, o, "subordinate_bus", 0, 0xff, true, &v,
				     &nd->has_sub);
	if (!ret && nd->has_sub)
		fi->subordinate_bus = (uint8_t)v;
	if (ret)
		return ret;
	if (!bridge && (nd->has_sec || nd->has_sub))
		return pdma__jfail_at(c, nd->has_sec ? "secondary_bus" : "subordinate_bus",
				      "only bridges have secondary and subordinate buses");
	ret = sub(c, o, "link", pdma__jlink, fi);
	if (!ret)
		ret = sub(c, o, "acs", pdma__jacs, fi);
	if (!ret)
		ret = sub(c, o, "p2pmem", pdma__jp2pmem, fi);
	if (!ret)
		ret = sub(c, o, "bars", pdma__jbars, fi);
	return ret;
}

int pdma__jparse_func(struct pdma_jctx *c, json_t *o, int parent, int hb,
		      int slot, int depth, int *cursor)
{
	static const char *const keys[] = {
		"bdf", "bus", "dev", "fn", "label", "kind", "header_type",
		"pcie_type", "vendor", "device", "subsystem_vendor",
		"subsystem_device", "revision", "class", "multifunction",
		"name", "driver", "numa_node", "iommu_group", "secondary_bus",
		"subordinate_bus", "link", "acs", "p2pmem", "bars", "children",
		NULL
	};
	json_t *kids, *k;
	int n, ret, kid_cursor = -1;
	size_t i;

	if (!json_is_object(o))
		return pdma__jfail(c, "a function is an object such as {\"bdf\": \"03:00.0\", \"class\": \"nvme\"}, not %s",
				   pdma__jtype(o));
	ret = pdma__jcheck_keys(c, o, keys, "a function");
	if (ret)
		return ret;
	n = new_node(c, parent, hb, slot);
	if (n < 0)
		return n;
	ret = parse_fields(c, o, &c->nodes[n], parent, cursor);
	if (ret)
		return ret;
	kids = json_object_get(o, "children");
	if (!kids)
		return 0;
	pdma__jpush_key(c, "children");
	if (!pdma_fabric_is_bridge(&c->nodes[n].fi))
		ret = pdma__jfail(c, "only bridges have children; this function has header type %u",
				  c->nodes[n].fi.header_type);
	else if (!json_is_array(kids))
		ret = pdma__jfail(c, "expected an array of functions, not %s",
				  pdma__jtype(kids));
	else if (depth + 1 >= PDMA_JSON_MAX_DEPTH && json_array_size(kids))
		ret = pdma__jfail(c, "bridges nest more than %d deep (each needs a bus number of its own)",
				  PDMA_JSON_MAX_DEPTH);
	if (ret)
		goto out;
	json_array_foreach(kids, i, k) {
		pdma__jpush_idx(c, (int)i);
		ret = pdma__jparse_func(c, k, n, hb, (int)i, depth + 1,
					&kid_cursor);
		pdma__jpop(c);
		if (ret)
			break;
	}
out:
	pdma__jpop(c);
	return ret;
}
