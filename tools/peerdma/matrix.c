// SPDX-License-Identifier: MIT
/*
 * peerdma matrix: the kernel's verdict for every pair, laid out like
 * `nvidia-smi topo -m`: rows are providers (whose memory), columns clients
 * (who does the DMA), a cell is a verdict code and a path class.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cli.h"

/* What the default view shows: what takes part in P2P in practice. */
static bool interesting(const struct pdma_func_info *fi)
{
	switch (fi->role) {
	case PDMA_ROLE_GPU:
	case PDMA_ROLE_NIC:
	case PDMA_ROLE_NVME:
	case PDMA_ROLE_ACCEL:
	case PDMA_ROLE_MEMORY:
		return true;
	default:
		return fi->p2pmem.present;
	}
}

/* The cell for one verdict: "X", "BUS4 PIX", "HB6 NODE", "NS PHB". */
static const char *cell(const struct pdma_verdict *v, char *buf, size_t len,
			const char **color)
{
	const char *cls = pdma_path_class_name(v->path_class);

	*color = "";
	if (v->provider == v->client) {
		snprintf(buf, len, "X");
		return buf;
	}
	switch (v->map_type) {
	case PDMA_MAP_BUS_ADDR:
		snprintf(buf, len, "BUS%d %s", v->distance, cls);
		*color = C_GREEN;
		break;
	case PDMA_MAP_THRU_HOST_BRIDGE:
		snprintf(buf, len, "HB%d %s", v->distance, cls);
		*color = C_YELLOW;
		break;
	case PDMA_MAP_NOT_SUPPORTED:
		snprintf(buf, len, "NS %s", cls);
		*color = C_RED;
		break;
	default:
		snprintf(buf, len, "?");
		break;
	}
	return buf;
}

static int term_width(void)
{
	struct winsize ws;
	const char *cols = getenv("COLUMNS");

	if (isatty(STDOUT_FILENO) && !ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) &&
	    ws.ws_col > 0)
		return ws.ws_col;
	if (cols && atoi(cols) > 20)
		return atoi(cols);
	return 80;
}

static const char legend[] =
	"Legend (row = provider, whose memory is accessed; column = client,\n"
	"which does the DMA):\n"
	"  X      the device itself\n"
	"  BUSn   BUS_ADDR: P2P allowed, TLPs turn around at the common upstream\n"
	"         bridge; n = the kernel's distance (hops up from both ends)\n"
	"  HBn    THRU_HOST_BRIDGE: P2P allowed through the root complex\n"
	"         (and the IOMMU, if any); n = the kernel's distance\n"
	"  NS     NOT_SUPPORTED: the kernel refuses P2P for this pair\n"
	"  ?      unknown (the pair could not be evaluated)\n"
	"Path class of the route the TLPs take:\n"
	"  PIX    through at most one PCIe switch or bridge\n"
	"  PXB    through several PCIe switches, not the host bridge\n"
	"  PHB    through a host bridge (root complex)\n"
	"  NODE   between host bridges of one NUMA node\n"
	"  SYS    between NUMA nodes (the SMP interconnect)\n"
	"'peerdma explain PROVIDER CLIENT' tells why and what would change it.\n";

struct mtx {
	int n;		/* functions shown */
	int *idx;	/* their indices */
	char (*cells)[24];	/* n * n */
	const char **colors;	/* n * n */
};

static int fill(struct pdma_fabric *fab, struct mtx *m)
{
	for (int r = 0; r < m->n; r++)
		for (int c = 0; c < m->n; c++) {
			struct pdma_verdict v;
			int ret = pdma_verdict_explain(fab, m->idx[r], m->idx[c],
						       &v);

			if (ret) {
				cli_err("computing the verdict of a pair failed: %s",
					strerror(-ret));
				return EXIT_FAIL;
			}
			cell(&v, m->cells[r * m->n + c], sizeof(m->cells[0]),
			     &m->colors[r * m->n + c]);
			pdma_verdict_release(&v);
		}
	return 0;
}

static void print_table(const struct pdma_fabric *fab, const struct mtx *m,
			bool labels)
{
	int headw = 0, tailw = labels ? 3 : 5;
	int *colw = calloc((size_t)m->n, sizeof(int));
	char h[32];

	if (!colw)
		return;
	for (int i = 0; i < m->n; i++) {
		const struct pdma_func_info *fi = pdma_fabric_func(fab, m->idx[i]);
		int w = labels ? (int)strlen(fi->label) :
				 (int)strlen(pdma_bdf_format(fi, h, sizeof(h)));

		headw = w > headw ? w : headw;
		w = labels ? (int)strlen(pdma_bdf_format(fi, h, sizeof(h))) :
			     (int)strlen(fi->label);
		tailw = w > tailw ? w : tailw;
		colw[i] = labels ? (int)strlen(fi->label) :
				   (int)strlen(out_short_bdf(fab, fi, h, sizeof(h)));
		for (int r = 0; r < m->n; r++) {
			int cw = (int)strlen(m->cells[r * m->n + i]);

			colw[i] = cw > colw[i] ? cw : colw[i];
		}
	}

	printf("%s%-*s%s", out_c(C_BOLD), headw, "", out_c(C_RESET));
	for (int i = 0; i < m->n; i++) {
		const struct pdma_func_info *fi = pdma_fabric_func(fab, m->idx[i]);

		printf("  %s%-*s%s", out_c(C_BOLD), colw[i],
		       labels ? fi->label : out_short_bdf(fab, fi, h, sizeof(h)),
		       out_c(C_RESET));
	}
	printf("  %sNUMA  %-*s  p2pmem%s\n", out_c(C_BOLD), tailw,
	       labels ? "BDF" : "Label", out_c(C_RESET));

	for (int r = 0; r < m->n; r++) {
		const struct pdma_func_info *fi = pdma_fabric_func(fab, m->idx[r]);
		char bdf[16], sz[16];

		pdma_bdf_format(fi, bdf, sizeof(bdf));
		printf("%s%-*s%s", out_c(C_BOLD), headw,
		       labels ? fi->label : bdf, out_c(C_RESET));
		for (int c = 0; c < m->n; c++) {
			const char *col = m->colors[r * m->n + c];

			printf("  %s%-*s%s", col[0] ? out_c(col) : "", colw[c],
			       m->cells[r * m->n + c],
			       col[0] ? out_c(C_RESET) : "");
		}
		if (fi->numa_node >= 0)
			printf("  %-4d", fi->numa_node);
		else
			printf("  %-4s", "-");
		printf("  %-*s  %s\n", tailw, labels ? bdf : fi->label,
		       fi->p2pmem.present ? out_size(fi->p2pmem.size, sz,
						     sizeof(sz)) : "-");
	}
	free(colw);
}

/* Whether the table with BDF headings is wider than the terminal. */
static bool too_wide(const struct pdma_fabric *fab, const struct mtx *m)
{
	int w = 12 + 2 + 4 + 2 + 8 + 2 + 6;

	for (int i = 0; i < m->n; i++) {
		const struct pdma_func_info *fi = pdma_fabric_func(fab, m->idx[i]);
		char h[32];
		int cw = (int)strlen(out_short_bdf(fab, fi, h, sizeof(h)));

		for (int r = 0; r < m->n; r++) {
			int l = (int)strlen(m->cells[r * m->n + i]);

			cw = l > cw ? l : cw;
		}
		w += cw + 2;
	}
	return w > term_width();
}

static void print_hidden(const struct pdma_fabric *fab, int hidden)
{
	int n = pdma_fabric_nr_funcs(fab), shown = 0;

	if (!hidden)
		return;
	printf("Hidden: %d function%s without a P2P role (", hidden,
	       hidden > 1 ? "s" : "");
	for (int i = 0; i < n && shown < 6; i++) {
		const struct pdma_func_info *fi = pdma_fabric_func(fab, i);

		if (pdma_fabric_is_bridge(fi) || interesting(fi))
			continue;
		printf("%s%s", shown ? ", " : "", fi->label);
		shown++;
	}
	printf("%s); 'peerdma matrix --all' shows them\n",
	       hidden > shown ? ", ..." : "");
}

static int print_text(struct pdma_fabric *fab, bool all)
{
	int n = pdma_fabric_nr_funcs(fab), hidden = 0, nr_ep = 0, ret;
	struct mtx m = { 0 };

	m.idx = calloc((size_t)n + 1, sizeof(int));
	if (!m.idx)
		goto err_oom;
	for (int i = 0; i < n; i++) {
		const struct pdma_func_info *fi = pdma_fabric_func(fab, i);

		if (pdma_fabric_is_bridge(fi))
			continue;
		nr_ep++;
		if (all || interesting(fi))
			m.idx[m.n++] = i;
		else
			hidden++;
	}
	if (!m.n && nr_ep) {
		/* nothing with a P2P role: show everything rather than nothing */
		for (int i = 0; i < n; i++)
			if (!pdma_fabric_is_bridge(pdma_fabric_func(fab, i)))
				m.idx[m.n++] = i;
		hidden = 0;
	}
	m.cells = calloc((size_t)m.n * (size_t)m.n + 1, sizeof(*m.cells));
	m.colors = calloc((size_t)m.n * (size_t)m.n + 1, sizeof(*m.colors));
	if (!m.cells || !m.colors)
		goto err_oom;
	ret = fill(fab, &m);
	if (ret)
		goto out;

	if (m.n)
		print_table(fab, &m, too_wide(fab, &m));
	else
		printf("(no PCI functions besides bridges)\n");
	printf("\n");
	print_hidden(fab, hidden);
	out_platform(fab, stdout);
	out_notes(fab, stdout);
	printf("\n%s", legend);
	ret = 0;
	goto out;

err_oom:
	cli_err("out of memory");
	ret = EXIT_FAIL;
out:
	free(m.idx);
	free(m.cells);
	free(m.colors);
	return ret;
}

static int print_json(struct pdma_fabric *fab)
{
	int n = pdma_fabric_nr_funcs(fab);
	json_t *root = json_object(), *pairs = json_array();

	for (int p = 0; pairs && p < n; p++) {
		if (pdma_fabric_is_bridge(pdma_fabric_func(fab, p)))
			continue;
		for (int c = 0; c < n; c++) {
			struct pdma_verdict v;
			int ret;

			if (pdma_fabric_is_bridge(pdma_fabric_func(fab, c)))
				continue;
			ret = pdma_verdict_explain(fab, p, c, &v);
			if (ret) {
				json_decref(pairs);
				json_decref(root);
				cli_err("computing the verdict of a pair failed: %s",
					strerror(-ret));
				return EXIT_FAIL;
			}
			out_json_append(pairs, out_json_pair(fab, &v));
			pdma_verdict_release(&v);
		}
	}
	out_json_set(root, "pairs", pairs);
	out_json_set(root, "rules",
		     json_string(pdma_rules_name(pdma_fabric_rules(fab))));
	out_json_set(root, "cpu", out_json_cpu(fab));
	out_json_set(root, "source", out_jstr(pdma_fabric_platform(fab)->source));
	out_json_set(root, "notes", out_json_notes(fab));
	return out_json(root);
}

int cmd_matrix(const struct cli *c)
{
	struct pdma_fabric *fab;
	int ret = cli_load_fabric(c, &fab);

	if (ret)
		return ret;
	ret = c->json ? print_json(fab) : print_text(fab, c->all);
	pdma_fabric_destroy(fab);
	return ret;
}
