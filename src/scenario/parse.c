// SPDX-License-Identifier: MIT
/*
 * Scenario files: JSON (docs/scenario-format.md) into struct pdma_scenario.
 * Every error is one line: the file, the line (syntax) or the JSON path
 * (content), and why.  Unknown keys are errors, so typos do not pass.
 */
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario_internal.h"

struct sp {
	const char *name;
	const char *dir;
	struct pdma_error *err;
};

static int bad(struct sp *p, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int bad(struct sp *p, const char *path, const char *fmt, ...)
{
	char why[300];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	pdma__err(p->err, "%s: %s: %s", p->name, path, why);
	return -EINVAL;
}

/* Reject keys that are not in @known (NULL-terminated). */
static int only_keys(struct sp *p, const char *path, json_t *obj,
		     const char *const *known)
{
	const char *key;
	json_t *v;

	json_object_foreach(obj, key, v) {
		int i;

		for (i = 0; known[i]; i++)
			if (!strcmp(known[i], key))
				break;
		if (!known[i])
			return bad(p, path, "unknown key \"%.40s\"", key);
	}
	return 0;
}

static int get_str(struct sp *p, const char *path, json_t *v, char *dst,
		   size_t size)
{
	const char *s;

	if (!json_is_string(v))
		return bad(p, path, "must be a string");
	s = json_string_value(v);
	if (strlen(s) >= size)
		return bad(p, path, "longer than %zu characters", size - 1);
	memcpy(dst, s, strlen(s) + 1);
	return 0;
}

/* A byte count: an integer, or a string "64K", "16M", "1G". */
static int get_size(struct sp *p, const char *path, json_t *v, uint64_t *out)
{
	unsigned long long n;
	char *end;
	const char *s;

	if (json_is_integer(v)) {
		if (json_integer_value(v) <= 0)
			return bad(p, path, "must be a positive size");
		*out = (uint64_t)json_integer_value(v);
		return 0;
	}
	if (!json_is_string(v))
		return bad(p, path, "must be a size (4096 or \"4K\")");
	s = json_string_value(v);
	errno = 0;
	n = strtoull(s, &end, 10);
	if (end == s || errno || s[0] == '-')
		return bad(p, path, "\"%.40s\" is not a size", s);
	switch (*end) {
	case 'K': case 'k': n <<= 10; end++; break;
	case 'M': case 'm': n <<= 20; end++; break;
	case 'G': case 'g': n <<= 30; end++; break;
	default: break;
	}
	if (*end || n == 0 || n > (1ull << 40))
		return bad(p, path, "\"%.40s\" is not a size between 1 and 1T",
			   s);
	*out = n;
	return 0;
}

static int get_num(struct sp *p, const char *path, json_t *v, double lo,
		   double hi, double *out)
{
	if (!json_is_number(v))
		return bad(p, path, "must be a number");
	*out = json_number_value(v);
	if (!(*out >= lo && *out <= hi))
		return bad(p, path, "must be between %g and %g", lo, hi);
	return 0;
}

static const struct {
	const char *name;
	enum pdma_flow_kind kind;
	const char *src, *dst;
} kinds[] = {
	{ "nic-to-nvme", PDMA_FLOW_NIC_TO_NVME, "remote", "nvme" },
	{ "nvme-to-gpu", PDMA_FLOW_NVME_TO_GPU, "nvme", "gpu" },
	{ "gpu-to-nic", PDMA_FLOW_GPU_TO_NIC, "gpu", "remote" },
	{ "nic-to-accel", PDMA_FLOW_NIC_TO_ACCEL, "remote", "accel" },
};

const char *pdma_flow_kind_name(enum pdma_flow_kind k)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (kinds[i].kind == k)
			return kinds[i].name;
	return "?";
}

static int parse_faults(struct sp *p, const char *fp, json_t *o,
			struct pdma_scenario_flow *f)
{
	static const char *const keys[] = { "unplug_at", "evict_storm", NULL };
	char path[160];
	json_t *v;
	int ret;

	if (!json_is_object(o))
		return bad(p, fp, "must be an object");
	ret = only_keys(p, fp, o, keys);
	if (ret)
		return ret;
	v = json_object_get(o, "unplug_at");
	if (v) {
		snprintf(path, sizeof(path), "%s.unplug_at", fp);
		if (!json_is_number(v) || json_number_value(v) <= 0 ||
		    json_number_value(v) >= 1)
			return bad(p, path, "must be a fraction of the bytes, "
				   "between 0 and 1 (exclusive)");
		if (f->kind != PDMA_FLOW_NIC_TO_NVME)
			return bad(p, path, "only a nic-to-nvme flow stages in "
				   "a CMB that can be unplugged");
		f->unplug_at = json_number_value(v);
	}
	v = json_object_get(o, "evict_storm");
	if (v) {
		snprintf(path, sizeof(path), "%s.evict_storm", fp);
		if (!json_is_boolean(v))
			return bad(p, path, "must be true or false");
		if (json_is_true(v) && f->kind != PDMA_FLOW_GPU_TO_NIC)
			return bad(p, path, "only a gpu-to-nic flow reads a "
				   "GPU buffer that can be evicted");
		f->evict_storm = json_is_true(v);
	}
	return 0;
}

static int parse_flow(struct sp *p, int idx, json_t *o,
		      struct pdma_scenario_flow *f)
{
	static const char *const keys[] = { "name", "kind", "source",
		"destination", "mode", "io_size", "queue_depth", "total_bytes",
		"duration", "faults", NULL };
	char fp[32], path[96];
	const char *s;
	double d;
	json_t *v;
	size_t k;
	int ret;

	snprintf(fp, sizeof(fp), "flows[%d]", idx);
	if (!json_is_object(o))
		return bad(p, fp, "must be an object");
	ret = only_keys(p, fp, o, keys);
	if (ret)
		return ret;
	memset(f, 0, sizeof(*f));
	f->io_size = 128u << 10;
	f->queue_depth = 8;
	f->total_bytes = 16u << 20;
	f->unplug_at = -1;
#define PATH(key) (snprintf(path, sizeof(path), "%s.%s", fp, key), path)
	v = json_object_get(o, "kind");
	if (!v)
		return bad(p, PATH("kind"), "missing (nic-to-nvme, nvme-to-gpu, "
			   "gpu-to-nic or nic-to-accel)");
	if (!json_is_string(v))
		return bad(p, PATH("kind"), "must be a string");
	s = json_string_value(v);
	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
		if (!strcmp(kinds[k].name, s))
			break;
	if (k == sizeof(kinds) / sizeof(kinds[0]))
		return bad(p, PATH("kind"), "unknown kind \"%.40s\" (nic-to-nvme, "
			   "nvme-to-gpu, gpu-to-nic or nic-to-accel)", s);
	f->kind = kinds[k].kind;
	snprintf(f->name, sizeof(f->name), "%s", kinds[k].name);
	snprintf(f->source, sizeof(f->source), "%s", kinds[k].src);
	snprintf(f->destination, sizeof(f->destination), "%s", kinds[k].dst);
	if ((v = json_object_get(o, "name")) &&
	    (ret = get_str(p, PATH("name"), v, f->name, sizeof(f->name))))
		return ret;
	if ((v = json_object_get(o, "source"))) {
		char src[16];

		if ((ret = get_str(p, PATH("source"), v, src, sizeof(src))))
			return ret;
		if (strcmp(src, kinds[k].src))
			return bad(p, path, "a %s flow starts at \"%s\", not "
				   "\"%.15s\"", kinds[k].name, kinds[k].src,
				   src);
	}
	if ((v = json_object_get(o, "destination"))) {
		char dst[16];

		if ((ret = get_str(p, PATH("destination"), v, dst,
				   sizeof(dst))))
			return ret;
		if (strcmp(dst, kinds[k].dst))
			return bad(p, path, "a %s flow ends at \"%s\", not "
				   "\"%.15s\"", kinds[k].name, kinds[k].dst,
				   dst);
	}
	if ((v = json_object_get(o, "mode"))) {
		if (!json_is_string(v))
			return bad(p, PATH("mode"), "must be a string");
		s = json_string_value(v);
		if (!strcmp(s, "auto"))
			f->mode = PDMA_FLOW_AUTO;
		else if (!strcmp(s, "p2p"))
			f->mode = PDMA_FLOW_P2P;
		else if (!strcmp(s, "bounce"))
			f->mode = PDMA_FLOW_BOUNCE;
		else
			return bad(p, PATH("mode"), "unknown mode \"%.40s\" "
				   "(auto, p2p or bounce)", s);
	}
	if ((v = json_object_get(o, "io_size"))) {
		if ((ret = get_size(p, PATH("io_size"), v, &f->io_size)))
			return ret;
		if (f->io_size % 4096 || f->io_size > PDMA_NVME_MAX_XFER)
			return bad(p, path, "must be a multiple of 4K up to 1M");
		if (f->kind == PDMA_FLOW_NIC_TO_ACCEL &&
		    f->io_size + PDMA_ACCEL_TAG_LEN > PDMA_ACCEL_MAX_LEN)
			return bad(p, path, "at most 1020K for nic-to-accel "
				   "(a packet and its tag fit one descriptor)");
	}
	if ((v = json_object_get(o, "queue_depth"))) {
		if ((ret = get_num(p, PATH("queue_depth"), v, 1, 64, &d)))
			return ret;
		if (!json_is_integer(v))
			return bad(p, path, "must be an integer");
		f->queue_depth = (int)d;
	}
	if ((v = json_object_get(o, "total_bytes"))) {
		if ((ret = get_size(p, PATH("total_bytes"), v,
				    &f->total_bytes)))
			return ret;
		if (f->total_bytes > (1ull << 30))
			return bad(p, path, "at most 1G per pass (use duration "
				   "to run longer)");
	}
	if (f->total_bytes % f->io_size)
		return bad(p, PATH("total_bytes"), "must be a multiple of "
			   "io_size (%llu)", (unsigned long long)f->io_size);
	if ((v = json_object_get(o, "duration")) &&
	    (ret = get_num(p, PATH("duration"), v, 0, 3600, &f->duration)))
		return ret;
	if ((v = json_object_get(o, "faults")) &&
	    (ret = parse_faults(p, PATH("faults"), v, f)))
		return ret;
#undef PATH
	return 0;
}

static int parse_fabric(struct sp *p, json_t *o, struct pdma_scenario *sc)
{
	static const char *const keys[] = { "preset", "topo", "sysfs", NULL };
	static const enum pdma_scenario_fabric kind[] = {
		PDMA_SCENARIO_PRESET, PDMA_SCENARIO_TOPO, PDMA_SCENARIO_SYSFS };
	char val[512], path[32];
	int n = 0, ret;

	if (json_is_string(o)) {	/* a preset name */
		sc->fabric_kind = PDMA_SCENARIO_PRESET;
		return get_str(p, "fabric", o, sc->fabric, sizeof(sc->fabric));
	}
	if (!json_is_object(o))
		return bad(p, "fabric", "must be a preset name or an object "
			   "with one of preset, topo, sysfs");
	ret = only_keys(p, "fabric", o, keys);
	if (ret)
		return ret;
	for (int i = 0; keys[i]; i++) {
		json_t *v = json_object_get(o, keys[i]);

		if (!v)
			continue;
		snprintf(path, sizeof(path), "fabric.%s", keys[i]);
		if (n++)
			return bad(p, path, "give only one of preset, topo, "
				   "sysfs");
		ret = get_str(p, path, v, val, sizeof(val));
		if (ret)
			return ret;
		sc->fabric_kind = kind[i];
		if (kind[i] != PDMA_SCENARIO_PRESET && val[0] != '/' && p->dir &&
		    snprintf(sc->fabric, sizeof(sc->fabric), "%s/%s", p->dir,
			     val) >= (int)sizeof(sc->fabric))
			return bad(p, path, "path too long");
		else if (kind[i] == PDMA_SCENARIO_PRESET || val[0] == '/' ||
			 !p->dir)
			memcpy(sc->fabric, val, sizeof(val));
	}
	if (!n)
		return bad(p, "fabric", "give one of preset, topo, sysfs");
	return 0;
}

static int parse_devices(struct sp *p, json_t *o, struct pdma_scenario *sc)
{
	static const char *const keys[] = { "nic", "nvme", "gpu", "accel",
					    NULL };
	char *dst[] = { sc->nic, sc->nvme, sc->gpu, sc->accel };
	char path[32];
	int ret;

	if (!json_is_object(o))
		return bad(p, "devices", "must be an object");
	ret = only_keys(p, "devices", o, keys);
	if (ret)
		return ret;
	for (int i = 0; keys[i]; i++) {
		json_t *v = json_object_get(o, keys[i]);

		snprintf(path, sizeof(path), "devices.%s", keys[i]);
		if (v && (ret = get_str(p, path, v, dst[i], 64)))
			return ret;
	}
	return 0;
}

static int parse_root(struct sp *p, json_t *root, struct pdma_scenario *sc)
{
	static const char *const keys[] = { "name", "description", "fabric",
		"devices", "wire_gbps", "flows", NULL };
	json_t *v, *flows;
	int ret;

	if (!json_is_object(root))
		return bad(p, "(top)", "must be an object");
	ret = only_keys(p, "(top)", root, keys);
	if (ret)
		return ret;
	sc->wire_gbps = 200;
	if ((v = json_object_get(root, "name")) &&
	    (ret = get_str(p, "name", v, sc->name, sizeof(sc->name))))
		return ret;
	if ((v = json_object_get(root, "description")) &&
	    (ret = get_str(p, "description", v, sc->description,
			   sizeof(sc->description))))
		return ret;
	if ((v = json_object_get(root, "fabric")) &&
	    (ret = parse_fabric(p, v, sc)))
		return ret;
	if ((v = json_object_get(root, "devices")) &&
	    (ret = parse_devices(p, v, sc)))
		return ret;
	if ((v = json_object_get(root, "wire_gbps")) &&
	    (ret = get_num(p, "wire_gbps", v, 1, 10000, &sc->wire_gbps)))
		return ret;
	flows = json_object_get(root, "flows");
	if (!flows)
		return bad(p, "flows", "missing: a scenario needs at least one "
			   "flow");
	if (!json_is_array(flows) || !json_array_size(flows))
		return bad(p, "flows", "must be a non-empty array");
	if (json_array_size(flows) > PDMA_SCENARIO_MAX_FLOWS)
		return bad(p, "flows", "at most %d flows",
			   PDMA_SCENARIO_MAX_FLOWS);
	for (size_t i = 0; i < json_array_size(flows); i++) {
		ret = parse_flow(p, (int)i, json_array_get(flows, i),
				 &sc->flows[i]);
		if (ret)
			return ret;
		sc->nr_flows++;
	}
	return 0;
}

int pdma_scenario_load_mem(const char *buf, size_t len, const char *name,
			   const char *dir, struct pdma_scenario **out,
			   struct pdma_error *err)
{
	struct sp p = { name ? name : "(scenario)", dir, err };
	struct pdma_scenario *sc;
	json_error_t je;
	json_t *root;
	int ret;

	*out = NULL;
	if (!buf)
		return bad(&p, "(top)", "no text");
	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	if (!root) {
		pdma__err(err, "%s: line %d, column %d: %s", p.name, je.line,
			  je.column, je.text);
		return -EINVAL;
	}
	sc = calloc(1, sizeof(*sc));
	if (!sc) {
		json_decref(root);
		return -ENOMEM;
	}
	ret = parse_root(&p, root, sc);
	json_decref(root);
	if (ret) {
		free(sc);
		return ret;
	}
	if (!sc->name[0])
		snprintf(sc->name, sizeof(sc->name), "%.63s", p.name);
	*out = sc;
	return 0;
}

int pdma_scenario_load(const char *path, struct pdma_scenario **out,
		       struct pdma_error *err)
{
	char dir[512];
	const char *slash;
	char *buf = NULL;
	size_t len = 0, cap = 0;
	FILE *f;
	int ret;

	*out = NULL;
	f = fopen(path, "r");
	if (!f) {
		ret = -errno;
		pdma__err(err, "%s: %s", path, strerror(errno));
		return ret;
	}
	for (;;) {
		size_t n;

		if (len + 4096 > cap) {
			char *nb = realloc(buf, cap = cap * 2 + 8192);

			if (!nb || cap > (64u << 20)) {
				free(nb ? nb : buf);
				fclose(f);
				pdma__err(err, "%s: too large or out of memory",
					  path);
				return -ENOMEM;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		fclose(f);
		free(buf);
		pdma__err(err, "%s: read error", path);
		return -EIO;
	}
	fclose(f);
	slash = strrchr(path, '/');
	if (slash)
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	ret = pdma_scenario_load_mem(buf, len, path, slash ? dir : NULL, out,
				     err);
	free(buf);
	return ret;
}
