/*
 * fuzz_preview.c - a preview link's query string (exp and sig, from a
 * stranger) through the parsing and the check; a link signed for a slug
 * from the input must check, and must not once altered
 */
#include <stdio.h>

#include "serve/uri.h"
#include "write/preview.h"
#include "fuzz.h"

struct link {
	const char *exp, *sig;
	size_t exp_len, sig_len;
};

/* As page_preview.c reads them. */
static int param(const char *name, size_t nlen, const char *value,
		 size_t vlen, void *ctx)
{
	struct link *l = ctx;

	if (nlen == 3 && memcmp(name, "exp", 3) == 0) {
		l->exp = value;
		l->exp_len = vlen;
	} else if (nlen == 3 && memcmp(name, "sig", 3) == 0) {
		l->sig = value;
		l->sig_len = vlen;
	}
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct preview_key key = { { 1, 2, 3, 4, 5, 6, 7, 8 } };
	char sig[PREVIEW_SIG_LEN + 1], exp[32];
	struct link l = { "", "", 0, 0 };
	int status;
	char *s;

	s = fuzz_strndup(data, size);
	if (!s)
		return 0;
	(void)uri_query_each(s, param, &l);
	status = preview_check(&key, "a-draft", l.exp, l.exp_len, l.sig,
			       l.sig_len, 1700000000);
	if (status != 200 && status != 403 && status != 410)
		abort();
	/* The input as a slug: signed, it checks; another time does not. */
	if (strlen(s) <= PREVIEW_MAX_SLUG &&
	    preview_sign(&key, s, 1800000000, sig) == QUIRE_OK) {
		snprintf(exp, sizeof(exp), "%d", 1800000000);
		if (preview_check(&key, s, exp, strlen(exp), sig, strlen(sig),
				  1700000000) != 200 ||
		    preview_check(&key, s, exp, strlen(exp), sig, strlen(sig),
				  1900000000) != 410 ||
		    preview_check(&key, s, "1800000001", 10, sig, strlen(sig),
				  1700000000) != 403)
			abort();
	}
	free(s);
	return 0;
}
