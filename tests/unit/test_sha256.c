/* SHA-256 against the FIPS 180-4 / NIST example vectors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/sha256.h"
#include "test_util.h"

static void check(const char *msg, const char *want)
{
	char hex[SHA256_HEX_LEN + 1];

	sha256_hex(msg, strlen(msg), hex);
	assert_string_equal(hex, want);
}

static void test_vectors(void **state)
{
	(void)state;
	check("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	check("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	check("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
	      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	check("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmn"
	      "opqrlmnopqrsmnopqrstnopqrstu",
	      "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
	/* Padding edges: 55 bytes fit one block, 56 need two, 64 is exactly one. */
	check("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	      "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
	check("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	      "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
	check("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	      "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
}

static void test_million_a_incremental(void **state)
{
	struct sha256_ctx ctx;
	unsigned char d[SHA256_DIGEST_LEN];
	char hex[SHA256_HEX_LEN + 1], chunk[1000];
	int i;

	(void)state;
	memset(chunk, 'a', sizeof(chunk));
	sha256_init(&ctx);
	/* Odd-sized pieces exercise the partial-block path. */
	for (i = 0; i < 1000; i++) {
		sha256_update(&ctx, chunk, 333);
		sha256_update(&ctx, chunk, 667);
	}
	sha256_final(&ctx, d);
	sha256_to_hex(d, hex);
	assert_string_equal(hex,
	                    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

static void test_block_boundaries(void **state)
{
	/* Lengths 55, 56 and 64 straddle the padding edge; compare one-shot
	 * with byte-at-a-time hashing. */
	static const size_t lens[] = {0, 1, 55, 56, 57, 63, 64, 65, 127, 128, 129};
	char msg[200];
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(msg); i++)
		msg[i] = (char)('A' + i % 26);
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		unsigned char a[SHA256_DIGEST_LEN], b[SHA256_DIGEST_LEN];
		struct sha256_ctx ctx;

		sha256(msg, lens[i], a);
		sha256_init(&ctx);
		for (j = 0; j < lens[i]; j++)
			sha256_update(&ctx, msg + j, 1);
		sha256_final(&ctx, b);
		assert_memory_equal(a, b, SHA256_DIGEST_LEN);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_vectors),
	    cmocka_unit_test(test_million_a_incremental),
	    cmocka_unit_test(test_block_boundaries),
	};
	return test_run(tests, NULL, NULL);
}
