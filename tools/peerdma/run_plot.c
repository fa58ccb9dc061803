// SPDX-License-Identifier: MIT
/*
 * peerdma run --plot FILE: an SVG, written by hand.  Left: throughput per
 * path (measured and modeled, P2P in green, staged through RAM in
 * orange).  Right: the part of the PCIe tree the run used, every link
 * drawn as wide as the bytes it carried (summed over the paths), labelled
 * with them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define W_BARS	460
#define ROW	58
#define NODE_W	96
#define NODE_H	26
#define LEVEL	70

struct node {
	int func;
	int parent;	/* index in the node array, -1: under a host bridge */
	int depth;
	double x;
	uint64_t bytes;	/* on the link above it */
};

static void esc(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '<')
			fputs("&lt;", f);
		else if (*s == '>')
			fputs("&gt;", f);
		else if (*s == '&')
			fputs("&amp;", f);
		else if (*s == '"')
			fputs("&quot;", f);
		else
			fputc(*s, f);
	}
}

static int find(struct node *n, int nr, int func)
{
	for (int i = 0; i < nr; i++)
		if (n[i].func == func)
			return i;
	return -1;
}

/* Leaves left to right in DFS order; parents centred over children. */
static double place(struct node *n, int nr, int me, double *next)
{
	double lo = -1, hi = -1;

	for (int i = 0; i < nr; i++) {
		double x;

		if (n[i].parent != me || i == me)
			continue;
		x = place(n, nr, i, next);
		if (lo < 0)
			lo = x;
		hi = x;
	}
	if (me < 0)
		return 0;
	if (lo < 0) {
		n[me].x = *next;
		*next += NODE_W + 16;
	} else {
		n[me].x = (lo + hi) / 2;
	}
	return n[me].x;
}

static int tree(FILE *f, const struct pdma_scenario_result *r, int x0,
		int *height)
{
	const struct pdma_fabric *fab = r->fab;
	int cap = pdma_fabric_nr_funcs(fab), nr = 0, maxd = 0;
	struct node *n = calloc((size_t)cap, sizeof(*n));
	uint64_t max = 1;
	double next = x0 + 20;
	char buf[16];

	if (!n)
		return -ENOMEM;
	for (int p = 0; p < r->nr_paths; p++)
		for (int l = 0; l < r->paths[p].nr_links; l++) {
			const struct pdma_scenario_link *lk =
				&r->paths[p].links[l];
			int fn = lk->func, child = -1;

			/* the function and every bridge above it */
			while (fn >= 0) {
				int i = find(n, nr, fn);

				if (i < 0) {
					i = nr++;
					n[i].func = fn;
					n[i].parent = -1;
				}
				if (child >= 0)
					n[child].parent = i;
				if (fn == lk->func)
					n[i].bytes += lk->up + lk->down;
				child = i;
				fn = pdma_fabric_func(fab, fn)->parent;
			}
		}
	for (int i = 0; i < nr; i++) {
		for (int p = n[i].parent; p >= 0; p = n[p].parent)
			n[i].depth++;
		if (n[i].depth > maxd)
			maxd = n[i].depth;
		if (n[i].bytes > max)
			max = n[i].bytes;
	}
	place(n, nr, -1, &next);
	fprintf(f, "<text x=\"%d\" y=\"24\" font-weight=\"bold\">Bytes per "
		"link (all paths)</text>\n", x0 + 20);
	fprintf(f, "<rect x=\"%d\" y=\"40\" width=\"%d\" height=\"%d\" "
		"fill=\"#ddd\"/><text x=\"%d\" y=\"57\" text-anchor=\"middle\">"
		"root complex</text>\n", x0 + 20, (int)(next - x0 - 36),
		NODE_H, (int)(x0 + 20 + (next - x0 - 36) / 2));
	for (int i = 0; i < nr; i++) {
		double y = 40 + LEVEL * (n[i].depth + 1);
		double px = n[i].parent >= 0 ? n[n[i].parent].x : n[i].x;
		double py = n[i].parent >= 0 ? y - LEVEL : 40;
		double w = 1 + 14.0 * (double)n[i].bytes / (double)max;

		fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
			"y2=\"%.1f\" stroke=\"#3a6ea5\" stroke-width=\"%.1f\"/>"
			"\n", n[i].x + NODE_W / 2, y, px + NODE_W / 2,
			py + NODE_H, w);
		if (n[i].bytes) {
			/* Beside the line's middle, on the side away from it. */
			double mx = (n[i].x + px) / 2 + NODE_W / 2;
			bool left = n[i].x < px;
			/* a slanted line needs more room than a straight one */
			double gap = n[i].x == px ? 4 : 16;

			out_size(n[i].bytes, buf, sizeof(buf));
			fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" "
				"fill=\"#3a6ea5\" text-anchor=\"%s\">%s</text>\n",
				left ? mx - w / 2 - gap : mx + w / 2 + gap,
				y - LEVEL / 2 + NODE_H / 2 + 4,
				left ? "end" : "start", buf);
		}
		fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%d\" "
			"height=\"%d\" rx=\"4\" fill=\"#fff\" stroke=\"#333\"/>"
			"<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">",
			n[i].x, y, NODE_W, NODE_H, n[i].x + NODE_W / 2,
			y + 17);
		esc(f, pdma_fabric_func(fab, n[i].func)->label);
		fputs("</text>\n", f);
	}
	*height = 40 + LEVEL * (maxd + 2);
	free(n);
	return (int)next;
}

static void bars(FILE *f, const struct pdma_scenario_result *r)
{
	double max = 0.001;

	for (int i = 0; i < r->nr_paths; i++) {
		if (r->paths[i].measured_gbps > max)
			max = r->paths[i].measured_gbps;
		if (r->paths[i].modeled_gbps > max)
			max = r->paths[i].modeled_gbps;
	}
	fputs("<text x=\"20\" y=\"24\" font-weight=\"bold\">Throughput per "
	      "path (GB/s)</text>\n", f);
	for (int i = 0; i < r->nr_paths; i++) {
		const struct pdma_path_result *p = &r->paths[i];
		int y = 44 + i * ROW;
		double wm = 260 * p->measured_gbps / max;
		double wd = 260 * p->modeled_gbps / max;

		/* The label on its own line, the two bars below it. */
		fprintf(f, "<text x=\"20\" y=\"%d\" font-size=\"12\">", y);
		esc(f, p->name);
		fprintf(f, " (%s)</text>\n", p->p2p ? "P2P" : "staged through RAM");
		fprintf(f, "<rect x=\"20\" y=\"%d\" width=\"%.1f\" height=\"14\""
			" fill=\"%s\"/><text x=\"%.1f\" y=\"%d\" font-size=\"11\">"
			"%.2f measured</text>\n", y + 6, wm,
			p->p2p ? "#3c9a4a" : "#e08a1e", 24 + wm, y + 17,
			p->measured_gbps);
		fprintf(f, "<rect x=\"20\" y=\"%d\" width=\"%.1f\" height=\"10\""
			" fill=\"none\" stroke=\"#555\" stroke-dasharray=\"3,2\"/>"
			"<text x=\"%.1f\" y=\"%d\" font-size=\"11\" fill=\"#555\">"
			"%.2f modeled</text>\n", y + 23, wd, 24 + wd, y + 32,
			p->modeled_gbps);
	}
}

/** run_plot() - write the SVG of @r to @path.  Return: 0 or -errno. */
int run_plot(const struct pdma_scenario_result *r, const char *src,
	     const char *path)
{
	FILE *f = fopen(path, "w");
	int width, height = 0, bh = 60 + r->nr_paths * ROW;
	FILE *body;
	char *text = NULL;
	size_t len = 0;

	if (!f) {
		cli_err("--plot %s: %s", path, strerror(errno));
		return -errno;
	}
	body = open_memstream(&text, &len);
	if (!body) {
		fclose(f);
		return -ENOMEM;
	}
	bars(body, r);
	width = tree(body, r, W_BARS, &height);
	fclose(body);
	if (width < 0) {
		free(text);
		fclose(f);
		return width;
	}
	if (bh > height)
		height = bh;
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
		"height=\"%d\" font-family=\"sans-serif\" font-size=\"13\">\n"
		"<title>", width + 20, height + 30);
	esc(f, r->scenario);
	fputs(" on ", f);
	esc(f, src);
	fprintf(f, "</title>\n<rect width=\"100%%\" height=\"100%%\" "
		"fill=\"#fafafa\"/>\n");
	fwrite(text, 1, len, f);
	fputs("</svg>\n", f);
	free(text);
	if (fclose(f)) {
		cli_err("--plot %s: %s", path, strerror(errno));
		return -EIO;
	}
	return 0;
}
