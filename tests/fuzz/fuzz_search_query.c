/*
 * fuzz_search_query.c - a reader's search query through
 * search_query_parse and search_query_fts5 (tiers/search_query.c): the
 * bounds hold, and the FTS5 query is quire's own syntax around quoted
 * strings, never a byte of the reader's outside a string
 */
#include "tiers/search_query.h"
#include "fuzz.h"

/* Walks q: outside a string only "(", ")", " AND ", " OR ", " NOT ";
 * inside, a '"' only doubled. Aborts otherwise. */
static void check_fts5(const char *q, size_t len)
{
	static const char *const ops[] = { " AND ", " OR ", " NOT " };
	size_t i = 0, k, n;
	int depth = 0, ok;

	while (i < len) {
		if (q[i] == '"') {
			for (i++;; i++) {
				if (i >= len)
					abort(); /* unterminated */
				if (q[i] == '"' && i + 1 < len && q[i + 1] == '"')
					i++;
				else if (q[i] == '"')
					break;
			}
			i++;
			continue;
		}
		if (q[i] == '(' || q[i] == ')') {
			depth += q[i] == '(' ? 1 : -1;
			if (depth < 0)
				abort();
			i++;
			continue;
		}
		for (ok = 0, k = 0; k < sizeof(ops) / sizeof(ops[0]); k++) {
			n = strlen(ops[k]);
			if (len - i >= n && memcmp(q + i, ops[k], n) == 0) {
				i += n;
				ok = 1;
				break;
			}
		}
		if (!ok)
			abort();
	}
	if (depth != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct search_query q;
	struct buf b = BUF_INIT;
	char decoded[1100];
	long n;
	size_t i;

	n = search_form_decode((const char *)data, size, decoded, sizeof(decoded));
	if (n >= 0 && search_query_parse(decoded, (size_t)n, &q) == SEARCH_OK) {
		if (q.len > SEARCH_MAX_QUERY || q.n > SEARCH_MAX_TERMS ||
		    q.n_positive == 0 || strlen(q.text) != q.len)
			abort();
		for (i = 0; i < q.n; i++)
			if (q.items[i].off + q.items[i].len > q.len)
				abort();
		if (search_query_fts5(&q, &b) != QUIRE_OK)
			abort();
		check_fts5(b.data, b.len);
	}
	(void)search_query_parse((const char *)data, size, &q);
	buf_release(&b);
	return 0;
}
