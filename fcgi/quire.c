/*
 * quire.c - descriptions of the shared error codes
 */
#include "quire.h"

static const char *const errs[QUIRE_ERR__MAX] = {
	"success",                 /* QUIRE_OK */
	"out of memory",           /* QUIRE_ENOMEM */
	"input/output error",      /* QUIRE_EIO */
	"parse error",             /* QUIRE_EPARSE */
	"input too large",         /* QUIRE_ETOOBIG */
	"not found",               /* QUIRE_ENOTFOUND */
	"invalid argument",        /* QUIRE_EINVAL */
	"timed out",               /* QUIRE_ETIMEOUT */
};

const char *quire_strerror(int err)
{
	if (err < 0 || err >= QUIRE_ERR__MAX)
		return "unknown error";
	return errs[err];
}
