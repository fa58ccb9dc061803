// SPDX-License-Identifier: MIT
/*
 * peerdma run: run a scenario (built-in or a file) and report every path:
 * the verdict and what the run did about it, measured and modeled
 * throughput, bytes that touched RAM and crossed each link, and whether
 * every byte verified.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

static char *sz(uint64_t n, char *buf, size_t len)
{
	if (!n)
		snprintf(buf, len, "0");
	else
		out_size(n, buf, len);
	return buf;
}

static const char *label(const struct pdma_fabric *fab, int f)
{
	return f >= 0 ? pdma_fabric_func(fab, f)->label : "-";
}

static void progress(void *ctx, const char *flow, uint64_t done,
		     uint64_t total)
{
	int width = 30, fill = total ? (int)(done * (uint64_t)width / total) : 0;

	(void)ctx;
	fprintf(stderr, "\r  %-24.24s [%.*s%*s] %3d%%", flow, fill,
		"##############################", width - fill, "",
		total ? (int)(done * 100 / total) : 100);
	if (done >= total)
		fputs("\r\033[K", stderr);
	fflush(stderr);
}

/* The devices the run used and the verdict between each two. */
static void summary(const struct pdma_scenario_result *r, const char *src)
{
	int dev[4] = { r->nic, r->nvme, r->gpu, r->accel }, nr = 0, idx[4];
	static const char *const as[4] = { "NIC", "NVMe", "GPU", "accel" };
	struct pdma_fabric *fab = r->fab;
	char bdf[32];

	printf("%sScenario %s%s on %s\n", out_c(C_BOLD), r->scenario,
	       out_c(C_RESET), src);
	for (int i = 0; i < 4; i++) {
		const struct pdma_func_info *fi;

		if (dev[i] < 0)
			continue;
		fi = pdma_fabric_func(fab, dev[i]);
		idx[nr++] = dev[i];
		printf("  %-5s %-6s %-12s %s\n", as[i], fi->label,
		       out_short_bdf(fab, fi, bdf, sizeof(bdf)), fi->name);
	}
	printf("\n  P2P (row provider, column client):\n  %-8s", "");
	for (int j = 0; j < nr; j++)
		printf(" %-15s", label(fab, idx[j]));
	putchar('\n');
	for (int i = 0; i < nr; i++) {
		printf("  %-8s", label(fab, idx[i]));
		for (int j = 0; j < nr; j++) {
			int d = -1;
			enum pdma_map_type t;

			if (i == j) {
				printf(" %-15s", "X");
				continue;
			}
			t = pdma_verdict_map_type(fab, idx[i], idx[j], &d);
			printf(" %-15s", t == PDMA_MAP_BUS_ADDR ? "BUS_ADDR" :
			       t == PDMA_MAP_THRU_HOST_BRIDGE ?
			       "THRU_HOST_BRIDGE" : "NOT_SUPPORTED");
		}
		putchar('\n');
	}
	putchar('\n');
}

static void table(const struct pdma_scenario_result *r)
{
	char a[16], b[16], c[16];

	printf("%-26s %-6s %10s %10s %8s %8s %8s  %s\n", "path", "data",
	       "measured", "modeled", "bytes", "RAM", "wire", "check");
	for (int i = 0; i < r->nr_paths; i++) {
		const struct pdma_path_result *p = &r->paths[i];

		char model[16];

		if (p->modeled_gbps > 0)
			snprintf(model, sizeof(model), "%6.2fGB/s",
				 p->modeled_gbps);
		else
			snprintf(model, sizeof(model), "%10s", "unknown");
		printf("%-26.26s %-6s %6.2fGB/s %s %8s %8s %8s  %s%s%s\n",
		       p->name, p->p2p ? "P2P" : "bounce", p->measured_gbps,
		       model, sz(p->bytes, a, sizeof(a)),
		       sz(p->ram_bytes, b, sizeof(b)),
		       sz(p->wire_bytes, c, sizeof(c)),
		       out_c(p->verified ? C_GREEN : C_RED),
		       p->verified ? "ok" : "FAILED", out_c(C_RESET));
		printf("    %s\n", p->why);
		if (p->error)
			printf("    %serror:%s %s\n", out_c(C_YELLOW),
			       out_c(C_RESET), p->error_text);
		printf("    crc32 %08x -> %08x, %llu corrupt bytes",
		       p->src_crc, p->dst_crc,
		       (unsigned long long)p->corrupt_bytes);
		if (p->evictions || p->refaults)
			printf(", %llu evictions, %llu NIC re-faults",
			       (unsigned long long)p->evictions,
			       (unsigned long long)p->refaults);
		printf("\n    links:");
		for (int l = 0; l < p->nr_links; l++)
			printf(" %s %s/%s", label(r->fab, p->links[l].func),
			       sz(p->links[l].up, a, sizeof(a)),
			       sz(p->links[l].down, b, sizeof(b)));
		printf("%s\n", p->nr_links ? " (up/down)" : " none");
	}
	printf("\n%s\n", r->ok ? "Every byte verified." :
	       "VERIFICATION FAILED on at least one path.");
}

static json_t *json_result(const struct pdma_scenario_result *r,
			   const char *src)
{
	json_t *root = json_object(), *paths = json_array(), *devs;

	devs = json_pack("{s:s?,s:s?,s:s?,s:s?}",
			 "nic", r->nic >= 0 ? label(r->fab, r->nic) : NULL,
			 "nvme", r->nvme >= 0 ? label(r->fab, r->nvme) : NULL,
			 "gpu", r->gpu >= 0 ? label(r->fab, r->gpu) : NULL,
			 "accel", r->accel >= 0 ? label(r->fab, r->accel) :
			 NULL);
	out_json_set(root, "scenario", out_jstr(r->scenario));
	out_json_set(root, "fabric", out_jstr(src));
	out_json_set(root, "devices", devs);
	out_json_set(root, "ok", json_boolean(r->ok));
	for (int i = 0; i < r->nr_paths; i++) {
		const struct pdma_path_result *p = &r->paths[i];
		json_t *links = json_array(), *o;

		for (int l = 0; l < p->nr_links; l++)
			out_json_append(links, json_pack("{s:s,s:I,s:I}",
				"device", label(r->fab, p->links[l].func),
				"up", (json_int_t)p->links[l].up,
				"down", (json_int_t)p->links[l].down));
		o = json_pack("{s:s,s:s,s:b,s:s,s:s,s:I,s:I,s:I,s:b,s:I,"
			      "s:f,s:f,s:f,s:I,s:I,s:I,s:I,s:o}",
			"name", p->name, "kind", pdma_flow_kind_name(p->kind),
			"p2p", p->p2p,
			"verdict", pdma_map_type_name(p->map_type),
			"why", p->why, "bytes", (json_int_t)p->bytes,
			"src_crc32", (json_int_t)p->src_crc,
			"dst_crc32", (json_int_t)p->dst_crc,
			"verified", p->verified,
			"corrupt_bytes", (json_int_t)p->corrupt_bytes,
			"seconds", p->seconds,
			"measured_gbps", p->measured_gbps,
			"modeled_gbps", p->modeled_gbps,
			"ram_bytes", (json_int_t)p->ram_bytes,
			"wire_bytes", (json_int_t)p->wire_bytes,
			"evictions", (json_int_t)p->evictions,
			"refaults", (json_int_t)p->refaults, "links", links);
		if (o && p->error)
			out_json_set(o, "error", out_jstr(p->error_text));
		out_json_append(paths, o);
	}
	out_json_set(root, "paths", paths);
	return root;
}

static int list(const struct cli *c)
{
	if (c->json) {
		json_t *arr = json_array();

		for (int i = 0; pdma_scenario_builtin_name(i); i++)
			out_json_append(arr, json_pack("{s:s,s:s}",
				"name", pdma_scenario_builtin_name(i),
				"description",
				pdma_scenario_builtin_description(i)));
		return out_json(arr) ? EXIT_FAIL : EXIT_OK;
	}
	for (int i = 0; pdma_scenario_builtin_name(i); i++)
		printf("%-16s %s%s\n", pdma_scenario_builtin_name(i),
		       pdma_scenario_builtin_description(i),
		       i ? "" : " (default)");
	return EXIT_OK;
}

static int load(const struct cli *c, struct pdma_scenario **sc)
{
	struct pdma_error err = { "" };
	const char *arg = c->nr_args ? c->args[0] : "";
	struct stat st;
	int ret;

	if (arg[0] && (strchr(arg, '/') || strstr(arg, ".json") ||
		       !stat(arg, &st)))
		ret = pdma_scenario_load(arg, sc, &err);
	else
		ret = pdma_scenario_builtin(arg, sc, &err);
	if (ret) {
		cli_err("%s", err.msg);
		return cli_status_of(ret);
	}
	return 0;
}

int cmd_run(const struct cli *c)
{
	struct pdma_scenario_result *res = NULL;
	struct pdma_scenario_opts o;
	struct pdma_scenario *sc = NULL;
	struct pdma_error err = { "" };
	char src[600];
	int ret;

	if (c->list)
		return list(c);
	ret = load(c, &sc);
	if (ret)
		return ret;
	pdma_scenario_opts_init(&o);
	if (!c->json && isatty(STDERR_FILENO))
		o.progress = progress;
	switch (c->source) {
	case SRC_SYSFS:
		o.override_kind = PDMA_SCENARIO_SYSFS;
		o.override = c->source_arg;
		break;
	case SRC_TOPO:
		o.override_kind = PDMA_SCENARIO_TOPO;
		o.override = c->source_arg;
		break;
	case SRC_PRESET:
		o.override_kind = PDMA_SCENARIO_PRESET;
		o.override = c->source_arg;
		break;
	default:
		break;
	}
	if (o.override)
		snprintf(src, sizeof(src), "%s %s", c->source == SRC_PRESET ?
			 "preset" : c->source == SRC_TOPO ? "topology" :
			 "sysfs", o.override);
	else if (sc->fabric_kind == PDMA_SCENARIO_PRESET)
		snprintf(src, sizeof(src), "preset %s", sc->fabric[0] ?
			 sc->fabric : pdma_preset_name(0));
	else
		snprintf(src, sizeof(src), "%s %s",
			 sc->fabric_kind == PDMA_SCENARIO_TOPO ? "topology" :
			 "sysfs", sc->fabric);
	out_color_init(c->color, stdout);
	ret = pdma_scenario_run(sc, &o, &res, &err);
	free(sc);
	if (ret) {
		cli_err("%s", err.msg[0] ? err.msg : strerror(-ret));
		return cli_status_of(ret);
	}
	if (c->json) {
		ret = out_json(json_result(res, src)) ? EXIT_FAIL : 0;
	} else {
		summary(res, src);
		table(res);
	}
	if (!ret && c->plot && run_plot(res, src, c->plot))
		ret = EXIT_FAIL;
	if (!ret && !res->ok)
		ret = EXIT_FAIL;
	pdma_scenario_result_free(res);
	return ret;
}
