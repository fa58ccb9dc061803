/* SPDX-License-Identifier: MIT */
/*
 * peerdma(1): what the commands share.  The tool uses only the public API
 * <peerdma/peerdma.h>; everything here is private to tools/peerdma/.
 */
#ifndef PEERDMA_CLI_H
#define PEERDMA_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>
#include <peerdma/peerdma.h>

/* Exit status (peerdma(1), EXIT STATUS). */
#define EXIT_OK		0
#define EXIT_FAIL	1	/* could not read, write or allocate */
#define EXIT_USAGE	2	/* bad command line, unknown device, bad input */

/* Where the fabric comes from: at most one of these is set. */
enum cli_source {
	SRC_DEFAULT = 0,	/* the live machine, or the default preset */
	SRC_SYSFS,
	SRC_LSPCI,
	SRC_TOPO,
	SRC_PRESET,
};

enum cli_color {
	COLOR_AUTO = 0,
	COLOR_ALWAYS,
	COLOR_NEVER,
};

/**
 * struct cli - the parsed command line.
 * @cmd:          the command name ("matrix").
 * @args, @nr_args: its positional arguments.
 * @source, @source_arg: --sysfs/--lspci/--topo/--preset and its value.
 * @source_opt:   the option's spelling, for messages ("--topo").
 * @cpu:          --cpu, applied to whichever source is used.
 * @cpu_arg:      --cpu's value, for the platform's cpu_source.
 * @rules_set, @rules: --rules.
 * @json, @qemu, @all: output selection.
 * @quick:        bench --quick.
 * @color:        --color.
 * @list, @plot:  run's --list and --plot FILE.
 */
struct cli {
	const char *cmd;
	char **args;
	int nr_args;
	enum cli_source source;
	const char *source_arg;
	const char *source_opt;
	struct pdma_cpu_override cpu;
	const char *cpu_arg;
	bool rules_set;
	enum pdma_rules rules;
	bool json, qemu, all;
	bool quick;
	enum cli_color color;
	bool list;
	const char *plot;
};

/* main.c */
void cli_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int cli_status_of(int err);

/* source.c */
int cli_load_fabric(const struct cli *c, struct pdma_fabric **out);
int cli_lookup(const struct pdma_fabric *fab, const char *name,
	       const char *what);

/* out.c: text and JSON helpers. */
void out_color_init(enum cli_color mode, FILE *f);
const char *out_c(const char *code);	/* "" when color is off */
#define C_RESET	"0"
#define C_BOLD	"1"
#define C_DIM	"2"
#define C_RED	"31"
#define C_GREEN	"32"
#define C_YELLOW "33"
#define C_BLUE	"34"
#define C_CYAN	"36"
char *out_size(unsigned long long bytes, char *buf, size_t len);
char *out_link(struct pdma_link l, char *buf, size_t len);
bool out_link_degraded(const struct pdma_func_info *fi);
char *out_acs_redir(uint16_t ctrl, char *buf, size_t len);
char *out_short_bdf(const struct pdma_fabric *fab,
		    const struct pdma_func_info *fi, char *buf, size_t len);
const char *out_hop_name(const struct pdma_fabric *fab,
			 const struct pdma_hop *h, char *buf, size_t len);
const char *out_cpu_vendor(enum pdma_cpu_vendor v);
void out_platform(const struct pdma_fabric *fab, FILE *f);
void out_notes(const struct pdma_fabric *fab, FILE *f);
int out_json(json_t *root);
json_t *out_jstr(const char *s);
json_t *out_json_cpu(const struct pdma_fabric *fab);
json_t *out_json_notes(const struct pdma_fabric *fab);
json_t *out_json_pair(const struct pdma_fabric *fab,
		      const struct pdma_verdict *v);
int out_json_set(json_t *obj, const char *key, json_t *val);
int out_json_append(json_t *arr, json_t *val);

/* The commands: each returns an exit status. */
int cmd_topo(const struct cli *c);
int cmd_matrix(const struct cli *c);
int cmd_explain(const struct cli *c);
int cmd_export(const struct cli *c);
int cmd_snapshot(const struct cli *c);
int cmd_presets(const struct cli *c);
int cmd_run(const struct cli *c);

/* run_plot.c */
int run_plot(const struct pdma_scenario_result *r, const char *src,
	     const char *path);
int cmd_bench(const struct cli *c);

#endif /* PEERDMA_CLI_H */
