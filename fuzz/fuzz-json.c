/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: pdma_load_json_mem() on arbitrary bytes.
 *
 * A failure must leave no fabric and give one line that names the input.
 * A success must survive the exports: the JSON export loads again and
 * exports to the same bytes (the exporter's promise, on every fabric the
 * loader accepts), and the QEMU export writes without error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <peerdma/peerdma.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *export_json(const struct pdma_fabric *fab, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	if (!f)
		abort();
	if (pdma_export_json(fab, f))
		abort();
	if (fclose(f))
		abort();
	return buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pdma_fabric *fab = NULL, *again = NULL;
	struct pdma_error err;
	char *e1, *e2, *q = NULL;
	size_t l1, l2, lq;
	FILE *f;
	int ret, n, d;

	memset(&err, 0, sizeof(err));
	ret = pdma_load_json_mem((const char *)data, size, "fuzz.json", &fab,
				 &err);
	if (!fuzz_loaded(ret, fab, &err, "fuzz.json"))
		return 0;
	n = pdma_fabric_nr_funcs(fab);
	for (int i = 0; i < n && i < 8; i++)
		pdma_verdict_map_type(fab, i, n - 1 - i, &d);

	e1 = export_json(fab, &l1);
	ret = pdma_load_json_mem(e1, l1, "export.json", &again, &err);
	if (ret) {
		fprintf(stderr, "the export does not load: %s\n", err.msg);
		abort();
	}
	e2 = export_json(again, &l2);
	if (l1 != l2 || memcmp(e1, e2, l1)) {
		fprintf(stderr, "the second export differs\n");
		abort();
	}
	f = open_memstream(&q, &lq);
	if (!f || pdma_export_qemu(fab, f) || fclose(f))
		abort();
	free(q);
	free(e1);
	free(e2);
	pdma_fabric_destroy(again);
	pdma_fabric_destroy(fab);
	return 0;
}
