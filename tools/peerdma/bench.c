// SPDX-License-Identifier: MIT
/*
 * peerdma bench: the framework's own costs against baselines, in one run
 * (<peerdma/bench.h>): one table, or --json.  A goal not met is reported,
 * not an error; a benchmark whose own check fails (the verdict benchmark's
 * agreement with the kernel's way) makes the exit status 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cli.h"

static bool met(const struct pdma_bench_row *r)
{
	return r->goal <= 0 || r->ratio >= r->goal;
}

/* "verdict, copy, iova, p2pmem or fence" */
static void names(char *buf, size_t len)
{
	int n = pdma_bench_count();

	buf[0] = '\0';
	for (int i = 0; i < n; i++) {
		size_t l = strlen(buf);

		snprintf(buf + l, len - l, "%s%s", i == 0 ? "" :
			 i == n - 1 ? " or " : ", ", pdma_bench_name(i));
	}
}

static int find(const char *name)
{
	for (int i = 0; i < pdma_bench_count(); i++)
		if (!strcmp(pdma_bench_name(i), name))
			return i;
	return -1;
}

static void text_head(void)
{
	printf("%s%-22s %20s %20s %8s %7s  %s%s\n", out_c(C_BOLD), "BENCHMARK",
	       "OURS", "BASELINE", "RATIO", "GOAL", "", out_c(C_RESET));
	fflush(stdout);
}

/* Four significant digits, without an exponent up to 1e9. */
static void value(char *buf, size_t len, double v, const char *unit)
{
	if (v >= 1e4 && v < 1e9)
		snprintf(buf, len, "%.0f %s", v, unit);
	else
		snprintf(buf, len, "%.4g %s", v, unit);
}

static void text_row(const struct pdma_bench_row *r)
{
	char o[40], b[40], g[16];

	value(o, sizeof(o), r->ours_value, r->unit);
	value(b, sizeof(b), r->baseline_value, r->unit);
	if (r->goal > 0)
		snprintf(g, sizeof(g), ">=%.3gx", r->goal);
	else
		snprintf(g, sizeof(g), "-");
	printf("%-22s %20s %20s %7.2fx %7s  %s%s%s\n", r->name, o, b, r->ratio,
	       g, out_c(met(r) ? C_GREEN : C_RED),
	       r->goal <= 0 ? "" : met(r) ? "met" : "NOT MET",
	       out_c(C_RESET));
	fflush(stdout);
}

static void text_legend(const struct pdma_bench_row *rows, int n)
{
	int goals = 0, ok = 0;

	for (int i = 0; i < n; i++) {
		goals += rows[i].goal > 0;
		ok += rows[i].goal > 0 && met(&rows[i]);
	}
	printf("\nratio: how many times better ours is (ours/baseline for rates, baseline/ours for costs);\n"
	       "%d of %d goals met.\n\n", ok, goals);
	for (int i = 0; i < n; i++) {
		printf("%s%s%s: %s vs %s", out_c(C_BOLD), rows[i].name,
		       out_c(C_RESET), rows[i].ours, rows[i].baseline);
		if (rows[i].detail[0])
			printf("; %s", rows[i].detail);
		printf("\n");
	}
}

static json_t *jside(const char *what, double v, const char *unit)
{
	json_t *o = json_object();

	out_json_set(o, "what", out_jstr(what));
	out_json_set(o, "value", json_real(v));
	out_json_set(o, "unit", out_jstr(unit));
	return o;
}

static json_t *jrow(const struct pdma_bench_row *r)
{
	json_t *o = json_object();

	out_json_set(o, "name", out_jstr(r->name));
	out_json_set(o, "ours", jside(r->ours, r->ours_value, r->unit));
	out_json_set(o, "baseline", jside(r->baseline, r->baseline_value,
					  r->unit));
	out_json_set(o, "ratio", json_real(r->ratio));
	out_json_set(o, "higher_is_better", json_boolean(r->higher_is_better));
	out_json_set(o, "goal", r->goal > 0 ? json_real(r->goal) : json_null());
	out_json_set(o, "met", json_boolean(met(r)));
	out_json_set(o, "detail", out_jstr(r->detail));
	return o;
}

static json_t *jmachine(bool quick)
{
	json_t *o = json_object(), *la = json_array();
	double load[3] = { 0, 0, 0 };
	struct utsname u;
	long nproc = sysconf(_SC_NPROCESSORS_ONLN);

	out_json_set(o, "nproc", json_integer(nproc > 0 ? nproc : 0));
	if (getloadavg(load, 3) == 3)
		for (int i = 0; i < 3; i++)
			out_json_append(la, json_real(load[i]));
	out_json_set(o, "load_average", la);
	if (!uname(&u)) {
		out_json_set(o, "kernel", out_jstr(u.release));
		out_json_set(o, "arch", out_jstr(u.machine));
	}
	out_json_set(o, "peerdma", out_jstr(pdma_version()));
	out_json_set(o, "quick", json_boolean(quick));
	return o;
}

int cmd_bench(const struct cli *c)
{
	int n = pdma_bench_count(), nr = 0, status = EXIT_OK;
	struct pdma_bench_row *rows;
	struct pdma_bench_opts o;
	bool *want;

	rows = calloc((size_t)n * PDMA_BENCH_MAX_ROWS, sizeof(*rows));
	want = calloc((size_t)n, sizeof(*want));
	if (!rows || !want) {
		cli_err("out of memory");
		status = EXIT_FAIL;
		goto out;
	}
	for (int i = 0; i < c->nr_args; i++) {
		int k = find(c->args[i]);

		if (k < 0) {
			char list[256];

			names(list, sizeof(list));
			cli_err("unknown benchmark '%s': use %s", c->args[i],
				list);
			status = EXIT_USAGE;
			goto out;
		}
		want[k] = true;
	}
	pdma_bench_opts_init(&o);
	o.quick = c->quick;
	if (!c->json)
		text_head();
	for (int i = 0; i < n; i++) {
		struct pdma_error err = { "" };
		int got, ret;

		if (c->nr_args && !want[i])
			continue;
		ret = pdma_bench_run(pdma_bench_name(i), &o, rows + nr,
				     PDMA_BENCH_MAX_ROWS, &got, &err);
		for (int k = nr; !c->json && k < nr + got; k++)
			text_row(&rows[k]);
		nr += got;
		if (ret) {
			cli_err("%s", err.msg[0] ? err.msg :
				"a benchmark failed");
			status = EXIT_FAIL;
		}
	}
	if (c->json) {
		json_t *root = json_object(), *arr = json_array();
		int js;

		for (int i = 0; i < nr; i++)
			out_json_append(arr, jrow(&rows[i]));
		out_json_set(root, "benchmarks", arr);
		out_json_set(root, "machine", jmachine(c->quick));
		js = out_json(root);
		status = status ? status : js;
	} else {
		text_legend(rows, nr);
	}
out:
	free(want);
	free(rows);
	return status;
}
