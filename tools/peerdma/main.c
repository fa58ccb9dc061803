// SPDX-License-Identifier: MIT
/*
 * peerdma(1): the command line, dispatch and exit status.
 *
 * Options may come before or after the command ("peerdma --preset x
 * matrix" and "peerdma matrix --preset x" are the same); "--" ends them.
 * Every error is one line on stderr, "peerdma: ...", and exit status 2 for
 * anything the user can fix on the command line or in the input, 1 for
 * anything else.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Which commands accept an option. */
#define F_TOPO		0x01u
#define F_MATRIX	0x02u
#define F_EXPLAIN	0x04u
#define F_EXPORT	0x08u
#define F_SNAPSHOT	0x10u
#define F_PRESETS	0x20u
#define F_RUN		0x80u
#define F_BENCH		0x40u
#define F_ANALYZE	(F_TOPO | F_MATRIX | F_EXPLAIN | F_EXPORT)
#define F_ALL		0xffu

enum opt_id {
	O_HELP, O_VERSION, O_SYSFS, O_LSPCI, O_TOPO, O_PRESET, O_CPU, O_RULES,
	O_JSON, O_QEMU, O_ALL, O_COLOR, O_NO_COLOR, O_QUICK,
	O_LIST, O_PLOT,
};

static const struct opt {
	enum opt_id id;
	const char *name;	/* without "--" */
	char shrt;		/* 0 when none */
	const char *arg;	/* NULL when it takes no value */
	unsigned cmds;
} opts[] = {
	{ O_HELP, "help", 'h', NULL, F_ALL },
	{ O_VERSION, "version", 'V', NULL, F_ALL },
	{ O_SYSFS, "sysfs", 0, "ROOT", F_ANALYZE | F_SNAPSHOT | F_RUN },
	{ O_LSPCI, "lspci", 0, "FILE", F_ANALYZE },
	{ O_TOPO, "topo", 0, "FILE", F_ANALYZE | F_RUN },
	{ O_PRESET, "preset", 0, "NAME", F_ANALYZE | F_RUN },
	{ O_CPU, "cpu", 0, "CPU", F_ANALYZE },
	{ O_RULES, "rules", 0, "RULES", F_ANALYZE },
	{ O_JSON, "json", 'j', NULL, F_ANALYZE | F_PRESETS | F_BENCH | F_RUN },
	{ O_QEMU, "qemu", 0, NULL, F_EXPORT },
	{ O_ALL, "all", 'a', NULL, F_MATRIX },
	{ O_COLOR, "color", 0, "WHEN", F_TOPO | F_MATRIX | F_EXPLAIN },
	{ O_NO_COLOR, "no-color", 0, NULL, F_TOPO | F_MATRIX | F_EXPLAIN },
	{ O_QUICK, "quick", 0, NULL, F_BENCH },
	{ O_LIST, "list", 0, NULL, F_RUN },
	{ O_PLOT, "plot", 0, "FILE", F_RUN },
};

static const struct command {
	const char *name;
	unsigned flag;
	int min_args, max_args;
	int (*run)(const struct cli *c);
	const char *usage;
	const char *help;
} commands[] = {
	{ "topo", F_TOPO, 0, 0, cmd_topo, "topo [SOURCE] [--json]",
	  "Print the PCIe tree per host bridge: every function with its label,\n"
	  "role, name, BAR sizes, link speed and width (DEGRADED when below its\n"
	  "maximum), ACS redirect bits, IOMMU group, p2pmem and driver.\n" },
	{ "matrix", F_MATRIX, 0, 0, cmd_matrix,
	  "matrix [SOURCE] [--all] [--json]",
	  "Print the kernel's P2P verdict for every pair of devices: rows are\n"
	  "providers (whose memory is used), columns clients (who does the\n"
	  "DMA).  A cell is BUSn (BUS_ADDR, distance n), HBn (THRU_HOST_BRIDGE,\n"
	  "distance n), NS (NOT_SUPPORTED) or X (itself), followed by the path\n"
	  "class (PIX PXB PHB NODE SYS).  By default only GPUs, NICs, NVMe,\n"
	  "accelerators, memory devices and p2pmem providers are shown; --all\n"
	  "shows every non-bridge function.  --json lists all ordered pairs.\n" },
	{ "explain", F_EXPLAIN, 2, 2, cmd_explain,
	  "explain PROVIDER CLIENT [SOURCE] [--json]",
	  "Explain one verdict: map type and kernel distance, the route hop by\n"
	  "hop, the path class, the narrowest link, every rule the kernel\n"
	  "applied and the fix.  PROVIDER and CLIENT are BDFs (0000:03:00.0,\n"
	  "03:00.0) or labels (nvme0) as 'peerdma topo' shows them.\n" },
	{ "export", F_EXPORT, 0, 0, cmd_export, "export --json|--qemu [SOURCE]",
	  "Write the fabric as a topology file (--json, the format --topo\n"
	  "reads) or as QEMU arguments that build the same tree (--qemu).\n" },
	{ "snapshot", F_SNAPSHOT, 1, 1, cmd_snapshot, "snapshot OUT [--sysfs ROOT]",
	  "Copy what the analyzer reads from this machine (or from ROOT) into\n"
	  "the new directory OUT, to analyze later or elsewhere with\n"
	  "'--sysfs OUT'.  Run as root to capture ACS (config space past 64\n"
	  "bytes).\n" },
	{ "presets", F_PRESETS, 0, 0, cmd_presets, "presets [--json]",
	  "List the built-in machines that --preset NAME loads.\n" },
	{ "run", F_RUN, 0, 1, cmd_run,
	  "run [SCENARIO] [--preset NAME | --topo FILE | --sysfs ROOT] [--list]\n"
	  "       [--json] [--plot OUT.svg]",
	  "Run a scenario on an emulated machine: devices move real bytes end\n"
	  "to end (P2P where the verdict allows, else staged through RAM), and\n"
	  "every path reports measured and modeled throughput, bytes that\n"
	  "touched RAM and crossed each link, and whether every byte verified.\n"
	  "SCENARIO is a built-in name (--list) or a scenario file\n"
	  "(docs/scenario-format.md); the default is copy-offload.  --preset,\n"
	  "--topo, --sysfs replace the scenario's fabric.  --plot writes an\n"
	  "SVG.  Exit 1 when a path does not verify.\n" },
	{ "bench", F_BENCH, 0, 64, cmd_bench, "bench [--quick] [--json] [NAME...]",
	  "Measure the framework's own costs against baselines, in one run:\n"
	  "verdicts vs the kernel's per-pair walk, emulated copies vs memcpy\n"
	  "and vs the bounce through RAM, IOVA caches, p2pmem, fences.  One\n"
	  "table: ours, baseline, ratio (how many times better ours is), goal\n"
	  "and whether it is met; about a minute, --quick a few seconds.\n"
	  "NAME runs only those benchmarks.  A goal not met is reported, not\n"
	  "an error; exit 1 only when a benchmark's own check fails.\n" },
};

static const char source_help[] =
	"Source (one of; default: this machine, or the first preset when it\n"
	"has no PCIe devices worth showing):\n"
	"  --sysfs ROOT        a machine laid out as /sys and /proc (a snapshot)\n"
	"  --lspci FILE        'lspci -xxxx' output ('-' for standard input)\n"
	"  --topo FILE         a topology file (docs/topology-format.md)\n"
	"  --preset NAME       a built-in machine (peerdma presets)\n"
	"  --cpu CPU           assume this CPU: intel, amd:FAMILY, other\n"
	"  --rules RULES       kernel rules: 6.12 (default) or latest\n";

static const char common_help[] =
	"Options:\n"
	"  -j, --json          machine-readable output\n"
	"  --color WHEN        auto (default), always or never; --no-color\n"
	"  -h, --help          this help\n"
	"  -V, --version       the version\n";

void cli_err(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("peerdma: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/*
 * A loader's errno as an exit status: malformed input, a missing file and
 * an unknown name are the user's to fix (2); the rest is a failure (1).
 */
int cli_status_of(int err)
{
	if (err == -EINVAL || err == -ENOENT || err == -ENOTDIR ||
	    err == -EISDIR)
		return EXIT_USAGE;
	return EXIT_FAIL;
}

static void usage_all(FILE *f)
{
	fprintf(f,
		"Usage: peerdma COMMAND [OPTIONS]\n"
		"\n"
		"Can two PCIe devices do peer-to-peer DMA here, by which route,\n"
		"and why not?  peerdma computes what Linux's p2pdma code decides.\n"
		"\n"
		"Commands:\n"
		"  topo                the PCIe tree with links, ACS, IOMMU, p2pmem\n"
		"  matrix              the verdict for every pair of devices\n"
		"  explain A B         why provider A and client B get their verdict\n"
		"  export --json|--qemu  write the fabric as a topology file or QEMU args\n"
		"  snapshot OUT        capture this machine's sysfs for later\n"
		"  presets             list the built-in machines\n"
		"  run [SCENARIO]      run data paths end to end on an emulated machine\n"
		"  bench               the framework's costs against baselines\n"
		"\n%s\n%s\n"
		"'peerdma COMMAND --help' for one command; man peerdma for more.\n"
		"Exit status: 0 ok, 2 bad command line or input, 1 other failure.\n",
		source_help, common_help);
}

static void usage_cmd(const struct command *cmd, FILE *f)
{
	fprintf(f, "Usage: peerdma %s\n\n%s", cmd->usage, cmd->help);
	if (cmd->flag & F_ANALYZE)
		fprintf(f, "\n%s", source_help);
	fprintf(f, "\n%s", common_help);
}

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

static const struct opt *find_opt(const char *arg, const char **val)
{
	*val = NULL;
	if (arg[1] != '-') {
		for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
			if (opts[i].shrt && arg[1] == opts[i].shrt && !arg[2])
				return &opts[i];
		return NULL;
	}
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		size_t n = strlen(opts[i].name);

		if (strncmp(arg + 2, opts[i].name, n))
			continue;
		if (arg[2 + n] == '\0')
			return &opts[i];
		if (arg[2 + n] == '=' && opts[i].arg) {
			*val = arg + 3 + n;
			return &opts[i];
		}
	}
	return NULL;
}

/* A parsed option that needs checking once the command is known. */
struct seen {
	const struct opt *opt;
	const char *spelling;
};

static int set_source(struct cli *c, enum cli_source s, const char *opt,
		      const char *val)
{
	if (c->source != SRC_DEFAULT) {
		cli_err("%s and %s both choose the source: give only one of --sysfs, --lspci, --topo, --preset",
			c->source_opt, opt);
		return EXIT_USAGE;
	}
	if (!val[0]) {
		cli_err("%s needs a non-empty value", opt);
		return EXIT_USAGE;
	}
	c->source = s;
	c->source_opt = opt;
	c->source_arg = val;
	return 0;
}

static int apply_opt(struct cli *c, const struct opt *o, const char *val)
{
	switch (o->id) {
	case O_SYSFS:
		return set_source(c, SRC_SYSFS, "--sysfs", val);
	case O_LSPCI:
		return set_source(c, SRC_LSPCI, "--lspci", val);
	case O_TOPO:
		return set_source(c, SRC_TOPO, "--topo", val);
	case O_PRESET:
		return set_source(c, SRC_PRESET, "--preset", val);
	case O_CPU:
		if (pdma_cpu_parse(val, &c->cpu)) {
			cli_err("--cpu '%s' is not a CPU: use intel, amd:FAMILY (e.g. amd:23 or amd:0x19) or other",
				val);
			return EXIT_USAGE;
		}
		c->cpu.set = true;
		c->cpu_arg = val;
		return 0;
	case O_RULES:
		if (pdma_rules_parse(val, &c->rules)) {
			cli_err("--rules '%s' is unknown: use 6.12 or latest",
				val);
			return EXIT_USAGE;
		}
		c->rules_set = true;
		return 0;
	case O_JSON:
		c->json = true;
		return 0;
	case O_QEMU:
		c->qemu = true;
		return 0;
	case O_ALL:
		c->all = true;
		return 0;
	case O_COLOR:
		if (!strcmp(val, "auto"))
			c->color = COLOR_AUTO;
		else if (!strcmp(val, "always"))
			c->color = COLOR_ALWAYS;
		else if (!strcmp(val, "never"))
			c->color = COLOR_NEVER;
		else {
			cli_err("--color '%s' is unknown: use auto, always or never",
				val);
			return EXIT_USAGE;
		}
		return 0;
	case O_NO_COLOR:
		c->color = COLOR_NEVER;
		return 0;
	case O_QUICK:
		c->quick = true;
		return 0;
	case O_LIST:
		c->list = true;
		return 0;
	case O_PLOT:
		c->plot = val;
		return 0;
	case O_HELP:
	case O_VERSION:
		return 0;
	}
	return 0;
}

static int parse(int argc, char **argv, struct cli *c, struct seen *seen,
		 int *nr_seen, bool *help, bool *version, const char **unknown)
{
	bool dashdash = false;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val;
		const struct opt *o;

		if (dashdash || a[0] != '-' || !a[1]) {
			if (!c->cmd)
				c->cmd = a;
			else
				c->args[c->nr_args++] = argv[i];
			continue;
		}
		if (!strcmp(a, "--")) {
			dashdash = true;
			continue;
		}
		o = find_opt(a, &val);
		if (!o) {
			/* reported once the command is known */
			if (!*unknown)
				*unknown = a;
			continue;
		}
		if (o->id == O_HELP)
			*help = true;
		if (o->id == O_VERSION)
			*version = true;
		if (o->arg && !val) {
			if (i + 1 >= argc) {
				cli_err("option '--%s' needs a value: --%s %s",
					o->name, o->name, o->arg);
				return EXIT_USAGE;
			}
			val = argv[++i];
		}
		seen[*nr_seen].opt = o;
		seen[*nr_seen].spelling = a;
		(*nr_seen)++;
		if (apply_opt(c, o, val ? val : ""))
			return EXIT_USAGE;
	}
	return 0;
}

static int finish(int status)
{
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "peerdma: writing the output failed: %s\n",
			strerror(errno ? errno : EIO));
		return status ? status : EXIT_FAIL;
	}
	return status;
}

int main(int argc, char **argv)
{
	struct cli c = { 0 };
	const struct command *cmd = NULL;
	struct seen *seen;
	bool help = false, version = false;
	const char *unknown = NULL;
	int nr_seen = 0, ret;

	c.args = calloc((size_t)argc + 1, sizeof(*c.args));
	seen = calloc((size_t)argc + 1, sizeof(*seen));
	if (!c.args || !seen) {
		cli_err("out of memory");
		return EXIT_FAIL;
	}
	ret = parse(argc, argv, &c, seen, &nr_seen, &help, &version, &unknown);
	if (ret)
		goto out;

	if (c.cmd && !strcmp(c.cmd, "help")) {
		/* "peerdma help [COMMAND]" */
		help = true;
		c.cmd = c.nr_args ? c.args[0] : NULL;
	}
	if (c.cmd) {
		cmd = find_command(c.cmd);
		if (!cmd) {
			cli_err("unknown command '%s': use topo, matrix, explain, export, snapshot, presets, run or bench (see 'peerdma --help')",
				c.cmd);
			ret = EXIT_USAGE;
			goto out;
		}
	}
	if (unknown) {
		if (cmd)
			cli_err("unknown option '%s' for '%s' (see 'peerdma %s --help')",
				unknown, cmd->name, cmd->name);
		else
			cli_err("unknown option '%s' (see 'peerdma --help')",
				unknown);
		ret = EXIT_USAGE;
		goto out;
	}
	if (version) {
		printf("peerdma %s\n", pdma_version());
		goto out;
	}
	if (help) {
		if (cmd)
			usage_cmd(cmd, stdout);
		else
			usage_all(stdout);
		goto out;
	}
	if (!cmd) {
		cli_err("no command given: try 'peerdma matrix', or 'peerdma --help' for the list");
		ret = EXIT_USAGE;
		goto out;
	}
	for (int i = 0; i < nr_seen; i++) {
		if (seen[i].opt->cmds & cmd->flag)
			continue;
		cli_err("option '%s' does not apply to '%s' (see 'peerdma %s --help')",
			seen[i].spelling, cmd->name, cmd->name);
		ret = EXIT_USAGE;
		goto out;
	}
	if (c.nr_args < cmd->min_args || c.nr_args > cmd->max_args) {
		if (c.nr_args > cmd->max_args)
			cli_err("too many arguments for '%s' ('%s'): usage: peerdma %s",
				cmd->name, c.args[cmd->max_args], cmd->usage);
		else
			cli_err("'%s' needs %d argument%s: usage: peerdma %s",
				cmd->name, cmd->min_args,
				cmd->min_args > 1 ? "s" : "", cmd->usage);
		ret = EXIT_USAGE;
		goto out;
	}
	out_color_init(c.color, stdout);
	ret = cmd->run(&c);
out:
	free(seen);
	free(c.args);
	return finish(ret);
}
