/* SPDX-License-Identifier: MIT */
/*
 * Topology files: the parts of a function object that are objects
 * themselves: "link", "acs", "p2pmem" and "bars".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "load_json.h"

static int link_value(struct pdma_jctx *c, json_t *v, struct pdma_link *l)
{
	static const char *const keys[] = { "gen", "width", NULL };
	char sb[48];
	int64_t x;
	bool got;
	int ret;

	if (json_is_string(v)) {
		if (pdma__topo_link_parse(json_string_value(v), l))
			return pdma__jfail(c, "bad link \"%s\" (write \"gen4 x16\", \"gen3\", \"x8\" or \"16GT/s x16\"; gen 1-6, width 1-32)",
					   pdma__jshown(json_string_value(v), sb, sizeof(sb)));
		return 0;
	}
	if (!json_is_object(v))
		return pdma__jfail(c, "expected a link such as \"gen4 x16\" or {\"gen\": 4, \"width\": 16}, not %s",
				   pdma__jtype(v));
	ret = pdma__jcheck_keys(c, v, keys, "a link");
	if (!ret)
		ret = pdma__jget_num(c, v, "gen", 1, 6, false, &x, &got);
	if (!ret && got)
		l->gen = (int)x;
	if (!ret)
		ret = pdma__jget_num(c, v, "width", 1, 32, false, &x, &got);
	if (!ret && got)
		l->width = (int)x;
	return ret;
}

int pdma__jlink(struct pdma_jctx *c, json_t *v, struct pdma_func_info *fi)
{
	static const char *const keys[] = { "cur", "max", "gen", "width", NULL };
	json_t *cur, *max;
	int ret;

	if (!json_is_object(v) || json_object_get(v, "gen") ||
	    json_object_get(v, "width")) {
		if (json_is_object(v) && (json_object_get(v, "cur") ||
					  json_object_get(v, "max")))
			return pdma__jfail(c, "give either \"cur\"/\"max\" or \"gen\"/\"width\", not both");
		ret = link_value(c, v, &fi->link_cur);
		fi->link_max = fi->link_cur;
		return ret;
	}
	ret = pdma__jcheck_keys(c, v, keys, "a link");
	if (ret)
		return ret;
	cur = json_object_get(v, "cur");
	max = json_object_get(v, "max");
	if (cur) {
		pdma__jpush_key(c, "cur");
		ret = link_value(c, cur, &fi->link_cur);
		pdma__jpop(c);
	}
	if (!ret && max) {
		pdma__jpush_key(c, "max");
		ret = link_value(c, max, &fi->link_max);
		pdma__jpop(c);
	}
	return ret;
}

/* The ACS Control bits Linux enables on a port when an IOMMU is on. */
#define ACS_KERNEL_CTRL (PDMA_ACS_SV | PDMA_ACS_RR | PDMA_ACS_CR | PDMA_ACS_UF)
/* The control bits the spec defines (SV TB RR CR UF EC DT). */
#define ACS_DEFINED 0x7f
/* ACS capability of QEMU's root ports: SV TB RR CR UF DT. */
#define ACS_DEFAULT_CAP 0x5f

int pdma__jacs(struct pdma_jctx *c, json_t *v, struct pdma_func_info *fi)
{
	static const char *const keys[] = { "cap", "ctrl", "redirect", "known",
					    NULL };
	bool redirect, got_redir, got_ctrl, known = true;
	int64_t x = 0;
	int ret;

	if (json_is_false(v))
		return 0;
	if (json_is_string(v) && !strcmp(json_string_value(v), "unknown")) {
		fi->acs_known = false;
		return 0;
	}
	if (!json_is_object(v) && !json_is_true(v))
		return pdma__jfail(c, "expected {\"cap\": \"0x5f\", \"ctrl\": \"0x1d\"}, {\"redirect\": true}, false or \"unknown\", not %s",
				   pdma__jtype(v));
	fi->has_acs = true;
	fi->acs_cap = ACS_DEFAULT_CAP;
	if (json_is_true(v))
		return 0;
	ret = pdma__jcheck_keys(c, v, keys, "ACS");
	if (!ret)
		ret = pdma__jget_num(c, v, "cap", 0, 0xffff, true, &x, NULL);
	if (ret)
		return ret;
	if (json_object_get(v, "cap"))
		fi->acs_cap = (uint16_t)x;
	ret = pdma__jget_num(c, v, "ctrl", 0, 0xffff, true, &x, &got_ctrl);
	if (!ret)
		ret = pdma__jget_bool(c, v, "redirect", &redirect, &got_redir);
	if (ret)
		return ret;
	if (got_ctrl && got_redir)
		return pdma__jfail(c, "give either \"ctrl\" or \"redirect\", not both");
	/* A capability found in a capability list that was cut short. */
	ret = pdma__jget_bool(c, v, "known", &known, NULL);
	if (ret)
		return ret;
	fi->acs_known = known;
	if (got_ctrl)
		fi->acs_ctrl = (uint16_t)x;
	if (got_redir && redirect) {
		if (!(fi->acs_cap & PDMA_ACS_REDIR_MASK))
			return pdma__jfail_at(c, "redirect", "the capability 0x%04x has no redirect bits (RR, CR, EC) to set",
					      fi->acs_cap);
		fi->acs_ctrl = ACS_KERNEL_CTRL & fi->acs_cap;
	}
	if (fi->acs_ctrl & ACS_DEFINED & ~fi->acs_cap)
		return pdma__jfail_at(c, "ctrl", "control 0x%04x sets bits the capability 0x%04x lacks",
				      fi->acs_ctrl, fi->acs_cap);
	return 0;
}

int pdma__jp2pmem(struct pdma_jctx *c, json_t *v,
			struct pdma_func_info *fi)
{
	static const char *const keys[] = { "size", "available", "published",
					    NULL };
	struct pdma_p2pmem *m = &fi->p2pmem;
	bool got;
	int ret;

	if (!json_is_object(v))
		return pdma__jfail(c, "expected {\"size\": \"16M\"}, not %s",
				   pdma__jtype(v));
	ret = pdma__jcheck_keys(c, v, keys, "p2pmem");
	if (!ret)
		ret = pdma__jget_size(c, v, "size", &m->size, &got);
	if (!ret && !got)
		ret = pdma__jfail(c, "p2pmem needs a \"size\"");
	if (ret)
		return ret;
	m->present = true;
	m->published = true;
	m->available = m->size;
	ret = pdma__jget_size(c, v, "available", &m->available, NULL);
	if (!ret)
		ret = pdma__jget_bool(c, v, "published", &m->published, NULL);
	if (!ret && m->available > m->size)
		ret = pdma__jfail_at(c, "available", "more is available than the size");
	return ret;
}

static int parse_bar(struct pdma_jctx *c, json_t *v, struct pdma_func_info *fi,
		     int *next, unsigned *used, unsigned *upper)
{
	static const char *const keys[] = { "index", "size", "addr", "type",
					    "prefetch", "flags", NULL };
	struct pdma_bar bar = { 0, 0, PDMA_BAR_MEM };
	char type[8] = "mem32", sb[48];
	bool pf = false, got_type, got_pf, got_flags, got;
	int64_t x;
	int ret, idx = *next;

	if (!json_is_object(v))
		return pdma__jfail(c, "a BAR is an object such as {\"size\": \"16M\"}, not %s",
				   pdma__jtype(v));
	ret = pdma__jcheck_keys(c, v, keys, "a BAR");
	if (!ret)
		ret = pdma__jget_num(c, v, "index", 0, 5, false, &x, &got);
	if (ret)
		return ret;
	if (got)
		idx = (int)x;
	else if (idx > 5)
		return pdma__jfail(c, "no BAR slot is left (a 64-bit BAR takes two)");
	ret = pdma__jget_str(c, v, "type", type, sizeof(type), &got_type);
	if (!ret)
		ret = pdma__jget_bool(c, v, "prefetch", &pf, &got_pf);
	if (!ret)
		ret = pdma__jget_num(c, v, "flags", 0, 0xffffffff, true, &x,
				     &got_flags);
	if (ret)
		return ret;
	if (got_flags && (got_type || got_pf))
		return pdma__jfail(c, "give either \"flags\" or \"type\"/\"prefetch\", not both");
	if (got_flags) {
		bar.flags = (unsigned)x;
	} else if (!strcmp(type, "mem64")) {
		bar.flags = PDMA_BAR_MEM | PDMA_BAR_64;
	} else if (!strcmp(type, "io")) {
		bar.flags = 0;
		if (pf)
			return pdma__jfail_at(c, "prefetch", "an I/O BAR cannot be prefetchable");
	} else if (strcmp(type, "mem32")) {
		return pdma__jfail_at(c, "type", "unknown BAR type \"%s\" (mem32, mem64 or io)",
				      pdma__jshown(type, sb, sizeof(sb)));
	}
	if (pf)
		bar.flags |= PDMA_BAR_PREFETCH;
	if (*upper & (1u << idx))
		return pdma__jfail(c, "slot %d is the upper half of the 64-bit BAR %d",
				   idx, idx - 1);
	if (*used & (1u << idx))
		return pdma__jfail(c, "BAR %d is given twice", idx);
	*used |= 1u << idx;
	*next = idx + 1;
	if ((bar.flags & PDMA_BAR_MEM) && (bar.flags & PDMA_BAR_64)) {
		if (idx == 5)
			return pdma__jfail(c, "BAR 5 cannot be 64-bit (it would need slot 6)");
		if (*used & (1u << (idx + 1)))
			return pdma__jfail(c, "64-bit BAR %d needs slot %d, which is already given",
					   idx, idx + 1);
		*used |= 1u << (idx + 1);
		*upper |= 1u << (idx + 1);
		*next = idx + 2;
	}
	ret = pdma__jget_size(c, v, "size", &bar.size, NULL);
	if (!ret)
		ret = pdma__jget_u64(c, v, "addr", &bar.addr);
	if (!ret)
		fi->bars[idx] = bar;
	return ret;
}

int pdma__jbars(struct pdma_jctx *c, json_t *a, struct pdma_func_info *fi)
{
	unsigned used = 0, upper = 0;
	int next = 0, ret = 0;
	size_t i;
	json_t *v;

	if (!json_is_array(a))
		return pdma__jfail(c, "expected an array of BARs, not %s",
				   pdma__jtype(a));
	if (json_array_size(a) > 6)
		return pdma__jfail(c, "a function has at most 6 BARs, not %zu",
				   json_array_size(a));
	json_array_foreach(a, i, v) {
		pdma__jpush_idx(c, (int)i);
		ret = parse_bar(c, v, fi, &next, &used, &upper);
		pdma__jpop(c);
		if (ret)
			break;
	}
	return ret;
}

