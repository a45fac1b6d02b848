/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * A small test runner in the style of the kernel's test_progs: TEST(name)
 * defines and registers a test (no hand-written list), ASSERT_* print what
 * failed and return false so a test can bail out to its cleanup.
 */
#ifndef IORATE_TEST_H
#define IORATE_TEST_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <inttypes.h>

struct test_case {
	const char *name;
	const char *file;
	void (*fn)(void);
};

void test_register(const struct test_case *tc);
void test_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define TEST(name)							\
	static void test_##name(void);					\
	static const struct test_case test_case_##name = {		\
		#name, __FILE__, test_##name };				\
	__attribute__((constructor)) static void register_##name(void)	\
	{ test_register(&test_case_##name); }				\
	static void test_##name(void)

#define ASSERT_TRUE(cond) ({						\
	bool ok_ = (cond);						\
	if (!ok_)							\
		test_fail(__FILE__, __LINE__, "%s is false", #cond);	\
	ok_; })

#define ASSERT_EQ(a, b) ({						\
	long long a_ = (long long)(a), b_ = (long long)(b);		\
	bool ok_ = a_ == b_;						\
	if (!ok_)							\
		test_fail(__FILE__, __LINE__, "%s == %s: %lld != %lld",	\
			  #a, #b, a_, b_);				\
	ok_; })

#define ASSERT_U64_EQ(a, b) ({						\
	uint64_t a_ = (uint64_t)(a), b_ = (uint64_t)(b);		\
	bool ok_ = a_ == b_;						\
	if (!ok_)							\
		test_fail(__FILE__, __LINE__, "%s == %s: %" PRIu64 " != %" PRIu64, \
			  #a, #b, a_, b_);				\
	ok_; })

#define ASSERT_NEAR(a, b, tol) ({					\
	double a_ = (double)(a), b_ = (double)(b), t_ = (double)(tol);	\
	bool ok_ = a_ >= b_ - t_ && a_ <= b_ + t_;			\
	if (!ok_)							\
		test_fail(__FILE__, __LINE__, "%s ~= %s: %g vs %g (tol %g)", \
			  #a, #b, a_, b_, t_);				\
	ok_; })

#define ASSERT_STREQ(a, b) ({						\
	const char *a_ = (a), *b_ = (b);				\
	bool ok_ = a_ && b_ && strcmp(a_, b_) == 0;			\
	if (!ok_)							\
		test_fail(__FILE__, __LINE__, "%s == %s: \"%s\" != \"%s\"", \
			  #a, #b, a_ ? a_ : "(null)", b_ ? b_ : "(null)"); \
	ok_; })

#endif
