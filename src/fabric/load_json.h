/* SPDX-License-Identifier: MIT */
/*
 * Private state of the JSON topology loader, shared by load_json.c (reading
 * the file), load_json_tree.c (deriving addresses, checking, building the
 * fabric) and load_json_where.c (JSON paths, line and column in errors).
 */
#ifndef PDMA_FABRIC_LOAD_JSON_H
#define PDMA_FABRIC_LOAD_JSON_H

#include <jansson.h>

#include "topo_json.h"

/* Bridges can nest at most this deep (each needs its own bus number). */
#define PDMA_JSON_MAX_DEPTH 256
/* Path segments: $.host_bridges[i] then two per level, plus a few. */
#define PDMA_JSON_MAX_SEGS (2 * PDMA_JSON_MAX_DEPTH + 16)

/* One step of a JSON path: an object key, or (key NULL) an array index. */
struct pdma_jseg {
	const char *key;
	int idx;
};

/* A function read from the file, before it goes into the fabric. */
struct pdma_jnode {
	struct pdma_func_info fi;
	int parent;		/* node index, -1 on a root bus */
	int hb;			/* host bridge index */
	int slot;		/* index in its "children" array */
	int first_child, next_sibling, last_child;
	bool has_bus;		/* the file gave the bus (bdf or "bus") */
	bool has_domain;	/* the file gave the domain (bdf) */
	bool has_sec, has_sub;	/* secondary_bus / subordinate_bus given */
	bool has_mf;		/* multifunction given */
	bool has_numa;		/* numa_node given */
};

struct pdma_jhb {
	struct pdma_host_bridge_info info;
	int first_child, last_child;
};

struct pdma_jctx {
	const char *name;	/* for messages */
	const char *buf;	/* the text, for line and column */
	size_t len;
	struct pdma_error *err;
	json_t *root;

	struct pdma_jseg segs[PDMA_JSON_MAX_SEGS];
	int nsegs;

	struct pdma_jnode *nodes;
	int nr_nodes, cap_nodes;
	struct pdma_jhb *hbs;
	int nr_hbs, cap_hbs;
	struct pdma_platform_info pi;
	int nr_groups;		/* "iommu_groups" entries */
	int *group_id;
	enum pdma_iommu_type *group_type;
	json_t *notes;		/* borrowed from root: strings, checked */
};

/* load_json_where.c */
PDMA_INTERNAL void pdma__jpush_key(struct pdma_jctx *c, const char *key);
PDMA_INTERNAL void pdma__jpush_idx(struct pdma_jctx *c, int idx);
PDMA_INTERNAL void pdma__jpop(struct pdma_jctx *c);
/* Point the path at node @n (or, with @n < 0, host bridge @hb). */
PDMA_INTERNAL void pdma__jpath_node(struct pdma_jctx *c, int n, int hb);
/* The current path as text ("$.host_bridges[0].children[2]"). */
PDMA_INTERNAL void pdma__jpath_text(const struct pdma_jctx *c, char *buf,
				    size_t len);
/*
 * Fill c->err with "NAME:LINE:COL: at $.path: reason" and return -EINVAL.
 * LINE:COL is where the value at the path starts in the text.
 */
PDMA_INTERNAL int pdma__jfail(struct pdma_jctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The same, pointing at the key itself (for unknown keys). */
PDMA_INTERNAL int pdma__jfail_key(struct pdma_jctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* load_json_value.c: obj[key] read and checked; *got says if present. */
PDMA_INTERNAL const char *pdma__jtype(const json_t *v);
/* A printable, bounded copy of user text for messages. */
PDMA_INTERNAL const char *pdma__jshown(const char *s, char *buf, size_t len);
/* Reject keys not in @known (NULL-ended); "comment" is always allowed. */
PDMA_INTERNAL int pdma__jcheck_keys(struct pdma_jctx *c, json_t *obj,
				    const char *const *known,
				    const char *what);
/* A number given as an integer or as text ("0x1b36", "42"). */
PDMA_INTERNAL int pdma__jnum_value(struct pdma_jctx *c, json_t *v,
				   int64_t min, int64_t max, bool hex,
				   int64_t *out);
PDMA_INTERNAL int pdma__jget_num(struct pdma_jctx *c, json_t *obj,
				 const char *key, int64_t min, int64_t max,
				 bool hex, int64_t *out, bool *got);
PDMA_INTERNAL int pdma__jget_u64(struct pdma_jctx *c, json_t *obj,
				 const char *key, uint64_t *out);
PDMA_INTERNAL int pdma__jget_size(struct pdma_jctx *c, json_t *obj,
				  const char *key, uint64_t *out, bool *got);
PDMA_INTERNAL int pdma__jget_bool(struct pdma_jctx *c, json_t *obj,
				  const char *key, bool *out, bool *got);
PDMA_INTERNAL int pdma__jget_str(struct pdma_jctx *c, json_t *obj,
				 const char *key, char *dst, size_t cap,
				 bool *got);
/* Fail about the value of obj[@key] (already read). */
PDMA_INTERNAL int pdma__jfail_at(struct pdma_jctx *c, const char *key,
				 const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* load_json_parts.c: obj[key] of a function, the path pointing at it. */
PDMA_INTERNAL int pdma__jlink(struct pdma_jctx *c, json_t *v,
			      struct pdma_func_info *fi);
PDMA_INTERNAL int pdma__jacs(struct pdma_jctx *c, json_t *v,
			     struct pdma_func_info *fi);
PDMA_INTERNAL int pdma__jp2pmem(struct pdma_jctx *c, json_t *v,
				struct pdma_func_info *fi);
PDMA_INTERNAL int pdma__jbars(struct pdma_jctx *c, json_t *v,
			      struct pdma_func_info *fi);

/* load_json_func.c: one function object and, recursively, its children. */
PDMA_INTERNAL int pdma__jparse_func(struct pdma_jctx *c, json_t *o,
				    int parent, int hb, int slot, int depth,
				    int *cursor);

/* load_json_tree.c: derive addresses and bus numbers, check, build. */
PDMA_INTERNAL int pdma__jtree_build(struct pdma_jctx *c,
				    struct pdma_fabric **out);

#endif /* PDMA_FABRIC_LOAD_JSON_H */
