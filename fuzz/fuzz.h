/* SPDX-License-Identifier: MIT */
/*
 * What every loader fuzz target checks about a load's result.
 */
#ifndef PDMA_FUZZ_H
#define PDMA_FUZZ_H

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <peerdma/peerdma.h>

/*
 * A load either built a fabric, or failed with -EINVAL (bad input) or
 * -ENOMEM, built nothing, and said so in one line that starts with the
 * input's name @prefix.  Anything else aborts.  Returns whether a fabric
 * was built.
 */
static inline bool fuzz_loaded(int ret, const struct pdma_fabric *fab,
			       const struct pdma_error *err,
			       const char *prefix)
{
	if (!ret) {
		if (!fab)
			abort();
		return true;
	}
	if (fab || strncmp(err->msg, prefix, strlen(prefix)) ||
	    strchr(err->msg, '\n'))
		abort();
	if (ret != -EINVAL && ret != -ENOMEM)
		abort();
	return false;
}

#endif /* PDMA_FUZZ_H */
