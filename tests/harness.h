/* SPDX-License-Identifier: MIT */
/*
 * A tiny test harness: CHECK() records a failure and goes on, so one run
 * shows every broken case; main() returns harness_exit().  Exit 0 = pass,
 * 1 = fail, 77 = skip (with a reason on stderr).
 */
#ifndef PDMA_TEST_HARNESS_H
#define PDMA_TEST_HARNESS_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int harness_failures;
static int harness_checks;

#define CHECK(cond)                                                          \
	do {                                                                 \
		harness_checks++;                                            \
		if (!(cond)) {                                               \
			harness_failures++;                                  \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n",         \
				__FILE__, __LINE__, #cond);                  \
		}                                                            \
	} while (0)

#define CHECK_EQ_INT(a, b)                                                   \
	do {                                                                 \
		long long _a = (long long)(a), _b = (long long)(b);          \
		harness_checks++;                                            \
		if (_a != _b) {                                              \
			harness_failures++;                                  \
			fprintf(stderr, "%s:%d: %s == %lld, expected %s == %lld\n", \
				__FILE__, __LINE__, #a, _a, #b, _b);         \
		}                                                            \
	} while (0)

#define CHECK_STR(a, b)                                                      \
	do {                                                                 \
		const char *_a = (a), *_b = (b);                             \
		harness_checks++;                                            \
		if (!_a || !_b || strcmp(_a, _b)) {                          \
			harness_failures++;                                  \
			fprintf(stderr, "%s:%d: %s == \"%s\", expected \"%s\"\n", \
				__FILE__, __LINE__, #a, _a ? _a : "(null)",  \
				_b ? _b : "(null)");                         \
		}                                                            \
	} while (0)

/* Abort the test at once (a precondition for everything after it). */
#define REQUIRE(cond)                                                        \
	do {                                                                 \
		if (!(cond)) {                                               \
			fprintf(stderr, "%s:%d: REQUIRE failed: %s\n",       \
				__FILE__, __LINE__, #cond);                  \
			exit(1);                                             \
		}                                                            \
	} while (0)

static inline void harness_skip(const char *why)
{
	fprintf(stderr, "SKIP: %s\n", why);
	exit(77);
}

static inline int harness_exit(void)
{
	if (harness_failures) {
		fprintf(stderr, "%d of %d checks failed\n", harness_failures,
			harness_checks);
		return 1;
	}
	if (!harness_checks) {
		fprintf(stderr, "no checks ran\n");
		return 1;
	}
	printf("%d checks passed\n", harness_checks);
	return 0;
}

/* snprintf() into a path buffer; a path that does not fit ends the test. */
static inline void pathf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static inline void pathf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	REQUIRE(n >= 0 && (size_t)n < size);
}

/* Where tests/fixtures lives (set by meson as PDMA_FIXTURES). */
static inline const char *harness_fixtures(void)
{
	const char *d = getenv("PDMA_FIXTURES");

	return d ? d : "tests/fixtures";
}

#endif /* PDMA_TEST_HARNESS_H */
