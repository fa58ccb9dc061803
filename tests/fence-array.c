/* SPDX-License-Identifier: MIT */
/*
 * Fence arrays: signal on all and on any, the first member error wins,
 * enable when everything has already signalled, signaled() before and
 * after enable, match_context, deadline forwarding, members' references.
 */
#include "fence-mock.h"

struct simple_cb {
	struct pdma_fence_cb cb;
	int seen;
};

static void simple_callback(struct pdma_fence *f, struct pdma_fence_cb *cb)
{
	(void)f;
	((struct simple_cb *)cb)->seen++;
}

/* An array of @n new mocks; their pointers (borrowed) in @out. */
static struct pdma_fence *make_array(unsigned int n, bool any,
				     struct pdma_fence **out)
{
	struct pdma_fence **fences = calloc(n, sizeof(*fences)), *array;

	REQUIRE(fences);
	for (unsigned int i = 0; i < n; i++)
		fences[i] = out[i] = mock_fence();
	REQUIRE(!pdma_fence_array_create(n, fences,
					 pdma_fence_context_alloc(1), 1, any,
					 &array));
	return array;
}

static void test_signal_all(void)
{
	struct pdma_fence *f[3], *array = make_array(3, false, f);
	struct simple_cb cb = { 0 };
	int released = mock_released_count();

	CHECK(pdma_fence_is_array(array));
	CHECK(pdma_fence_is_container(array));
	CHECK(!pdma_fence_is_chain(array));
	CHECK_EQ_INT(pdma_fence_array_num_fences(array), 3);
	CHECK(pdma_fence_array_first(array) == f[0]);
	CHECK(pdma_fence_array_next(array, 2) == f[2]);
	CHECK(pdma_fence_array_next(array, 3) == NULL);
	CHECK(pdma_fence_array_next(f[0], 0) == NULL);
	CHECK(pdma_fence_array_first(f[0]) == f[0]);
	CHECK(pdma_fence_array_first(NULL) == NULL);

	CHECK_EQ_INT(pdma_fence_add_callback(array, &cb.cb, simple_callback), 0);
	pdma_fence_signal(f[1]);
	pdma_fence_signal(f[0]);
	CHECK(!pdma_fence_is_signaled(array));
	CHECK_EQ_INT(cb.seen, 0);
	pdma_fence_signal(f[2]);
	CHECK_EQ_INT(cb.seen, 1);
	CHECK(pdma_fence_is_signaled(array));
	CHECK_EQ_INT(pdma_fence_get_status(array), 1);
	pdma_fence_put(array);
	CHECK_EQ_INT(mock_released_count(), released + 3);
}

static void test_signal_any(void)
{
	struct pdma_fence *f[3], *array = make_array(3, true, f);
	struct simple_cb cb = { 0 };

	CHECK_EQ_INT(pdma_fence_add_callback(array, &cb.cb, simple_callback), 0);
	pdma_fence_signal(f[2]);
	CHECK_EQ_INT(cb.seen, 1);
	CHECK(pdma_fence_is_signaled(array));
	/* The others may come later; their callbacks drop their refs. */
	pdma_fence_signal(f[0]);
	pdma_fence_signal(f[1]);
	CHECK_EQ_INT(cb.seen, 1);
	pdma_fence_put(array);
}

static void test_errors(void)
{
	struct pdma_fence *f[3], *array = make_array(3, false, f);

	pdma_fence_enable_sw_signaling(array);
	pdma_fence_signal(f[0]);
	pdma_fence_set_error(f[1], -EIO);
	pdma_fence_signal(f[1]);
	pdma_fence_set_error(f[2], -ENODEV);
	pdma_fence_signal(f[2]);
	CHECK_EQ_INT(pdma_fence_get_status(array), -EIO);
	pdma_fence_put(array);

	/* No error: the private pending marker never shows. */
	array = make_array(2, false, f);
	pdma_fence_enable_sw_signaling(array);
	CHECK_EQ_INT(pdma_fence_get_status(array), 0);
	pdma_fence_signal(f[0]);
	pdma_fence_signal(f[1]);
	CHECK_EQ_INT(pdma_fence_get_status(array), 1);
	pdma_fence_put(array);

	/* An error of a member that had signalled before enable. */
	array = make_array(2, false, f);
	pdma_fence_set_error(f[1], -ETIMEDOUT);
	pdma_fence_signal(f[1]);
	pdma_fence_enable_sw_signaling(array);
	pdma_fence_signal(f[0]);
	CHECK_EQ_INT(pdma_fence_get_status(array), -ETIMEDOUT);
	pdma_fence_put(array);
}

static void test_already_signalled(void)
{
	struct pdma_fence *f[2], *array = make_array(2, false, f);
	struct simple_cb cb = { 0 };

	pdma_fence_signal(f[0]);
	pdma_fence_signal(f[1]);
	/* Before enable, signaled() counts the members. */
	CHECK(pdma_fence_is_signaled(array));
	pdma_fence_put(array);

	/* Enable finds everything done: the array signals at once. */
	array = make_array(2, false, f);
	pdma_fence_signal(f[0]);
	pdma_fence_signal(f[1]);
	CHECK_EQ_INT(pdma_fence_add_callback(array, &cb.cb, simple_callback),
		     -ENOENT);
	CHECK(pdma_fence_is_signaled(array));
	CHECK_EQ_INT(cb.seen, 0);
	pdma_fence_put(array);

	/* Partly done before enable. */
	array = make_array(2, false, f);
	pdma_fence_signal(f[0]);
	CHECK(!pdma_fence_is_signaled(array));
	CHECK_EQ_INT(pdma_fence_add_callback(array, &cb.cb, simple_callback), 0);
	CHECK(!pdma_fence_is_signaled(array));
	pdma_fence_signal(f[1]);
	CHECK_EQ_INT(cb.seen, 1);
	pdma_fence_put(array);
}

static void test_match_context_and_create(void)
{
	uint64_t ctx = pdma_fence_context_alloc(2);
	struct pdma_fence **fences = calloc(2, sizeof(*fences)), *array, *f;

	fences[0] = mock_fence_on(ctx, 1, false);
	fences[1] = mock_fence_on(ctx, 2, false);
	REQUIRE(!pdma_fence_array_create(2, fences, ctx + 1, 5, false, &array));
	CHECK_EQ_INT(array->context, ctx + 1);
	CHECK_EQ_INT(array->seqno, 5);
	CHECK(pdma_fence_match_context(array, ctx));
	CHECK(!pdma_fence_match_context(array, ctx + 1));
	CHECK(pdma_fence_match_context(fences[0], ctx));
	CHECK_STR(pdma_fence_driver_name(array), "pdma_fence_array");
	pdma_fence_signal(fences[0]);
	pdma_fence_signal(fences[1]);
	pdma_fence_put(array);

	f = (struct pdma_fence *)1;
	CHECK_EQ_INT(pdma_fence_array_create(0, NULL, 1, 1, false, &f),
		     -EINVAL);
	CHECK(f == NULL);
}

static void test_deadline(void)
{
	struct pdma_fence **fences = calloc(2, sizeof(*fences)), *array;
	struct deadline_fence *d[2];

	for (int i = 0; i < 2; i++) {
		d[i] = deadline_fence();
		fences[i] = &d[i]->m.base;
	}
	pdma_fence_signal(fences[1]);
	REQUIRE(!pdma_fence_array_create(2, fences, 1, 1, false, &array));
	pdma_fence_set_deadline(array, 999);
	CHECK_EQ_INT(d[0]->deadline, 999);
	CHECK_EQ_INT(d[1]->deadline, 0);	/* signalled: not forwarded */
	pdma_fence_signal(fences[0]);
	pdma_fence_put(array);
}

int main(void)
{
	test_signal_all();
	test_signal_any();
	test_errors();
	test_already_signalled();
	test_match_context_and_create();
	test_deadline();
	return harness_exit();
}
