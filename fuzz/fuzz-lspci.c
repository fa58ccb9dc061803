/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: pdma_load_lspci_mem() on arbitrary text, with a fixed
 * CPU (no /proc/cpuinfo read per input).  A success is queried for a few
 * verdicts and destroyed; a failure must leave no fabric and name the
 * input in its one-line message.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <peerdma/peerdma.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct pdma_cpu_override cpu = {
		.set = true, .vendor = PDMA_CPU_AMD, .family = 0x17,
	};
	struct pdma_fabric *fab = NULL;
	struct pdma_error err;
	int ret, n;

	memset(&err, 0, sizeof(err));
	ret = pdma_load_lspci_mem((const char *)data, size, "fuzz.txt", &cpu,
				  &fab, &err);
	if (!fuzz_loaded(ret, fab, &err, "fuzz.txt:"))
		return 0;
	n = pdma_fabric_nr_funcs(fab);
	if (n < 1)
		abort();
	for (int p = 0; p < n && p < 8; p++)
		for (int c = 0; c < n && c < 8; c++)
			pdma_verdict_map_type(fab, p, c, NULL);
	pdma_fabric_destroy(fab);
	return 0;
}
