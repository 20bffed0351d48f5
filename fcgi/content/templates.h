/*
 * templates.h - a small mustache-like template engine
 *
 * Syntax: {{name}} (HTML-escaped), {{{name}}} (raw), {{#name}}...{{/name}}
 * (a list: once per item; an object: once with it pushed on the context;
 * a true value or non-empty string: once), {{^name}}...{{/name}} (when
 * missing, false, empty string or empty list), {{>partial}} (another
 * template of the set), {{! comment }}. Names may be dotted (a.b).
 * Lookup walks the context stack from the innermost section outwards.
 * Templates are compiled once at load; rendering never re-parses.
 * The variables a template renders are a tvars tree (tvars.h).
 */
#ifndef QUIRE_TEMPLATES_H
#define QUIRE_TEMPLATES_H

#include "content/tvars.h"
#include "lib/buf.h"
#include "lib/quire.h"

/* A compiled set of templates loaded from one folder. */
struct templates;

/*
 * Loads and compiles every DIR/NAME.html and DIR/NAME.xml as template
 * "NAME" ("post", "feed" ...). A syntax error (unclosed section,
 * mismatched close, unknown partial) fails the load with err naming the
 * file, line and column in err->message.
 * Returns QUIRE_OK, QUIRE_EPARSE, QUIRE_EIO or QUIRE_ENOMEM.
 * Caller frees *out with templates_free().
 */
enum quire_err templates_load(const char *dir, struct templates **out,
			      struct parse_error *err);
/* Compiles one template from a string, for tests and the fuzzer. */
enum quire_err templates_add(struct templates *t, const char *name,
			     const char *text, struct parse_error *err);
struct templates *templates_new(void);
void templates_free(struct templates *t);
int templates_has(const struct templates *t, const char *name);

/* Renders template name with vars into out (appended). Returns QUIRE_OK,
 * QUIRE_ENOTFOUND (no such template), QUIRE_ENOMEM, or QUIRE_ETOOBIG
 * when the render visited more than 16M template nodes or wrote more
 * than 64 MiB (sections over lists and partials multiply; out then holds
 * a partial page). Partials
 * nest at most 16 deep. */
enum quire_err templates_render(const struct templates *t, const char *name,
				const struct tvars *vars, struct buf *out);

#endif
