/*
 * test_quire.c - quire_grow (quire.c), the one way arrays grow: from
 * first, doubling, contents kept, nothing changed when it cannot
 */
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "lib/quire.h"

struct item {
	int a;
	double b;
};

int main(void)
{
	struct item *v = NULL, *before;
	size_t cap = 0, n, i;
	int ok = 1;

	/* no room: the first size */
	CHECK(quire_grow(&v, &cap, 0, sizeof(*v), 4) == QUIRE_OK);
	CHECK(v != NULL && cap == 4);
	/* room left: nothing moves */
	before = v;
	CHECK(quire_grow(&v, &cap, 3, sizeof(*v), 4) == QUIRE_OK);
	CHECK(v == before && cap == 4);
	/* one at a time up to 1,000: doubling, contents kept */
	for (n = 0; n < 1000; n++) {
		if (quire_grow(&v, &cap, n, sizeof(*v), 4) != QUIRE_OK) {
			ok = 0;
			break;
		}
		v[n].a = (int)n;
		v[n].b = (double)n / 2;
	}
	CHECK(ok && cap == 1024);
	for (i = 0; i < n; i++)
		ok = ok && v[i].a == (int)i && v[i].b == (double)i / 2;
	CHECK(ok);
	/* bytes that would overflow: ENOMEM, array and cap unchanged */
	before = v;
	CHECK(quire_grow(&v, &cap, cap, SIZE_MAX / 1024, 4) == QUIRE_ENOMEM);
	CHECK(v == before && cap == 1024);
	free(v);
	return check_done("test_quire");
}
