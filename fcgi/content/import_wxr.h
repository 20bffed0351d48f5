/*
 * import_wxr.h - a WordPress export (WXR 1.0-1.2) made into a content folder
 *
 * `quirectl import wordpress EXPORT.xml --out DIR [--media DIR]`
 * (README, "Moving from WordPress"; DESIGN §3). The export is read
 * whole with libxml2's XML parser (import_wxr.c); the folder is written
 * by import_wxr_write.c into a temporary folder beside DIR, renamed to
 * DIR only when everything was written, so a failed import leaves
 * nothing behind.
 */
#ifndef QUIRE_IMPORT_WXR_H
#define QUIRE_IMPORT_WXR_H

#include <stddef.h>

#include "content/strlist.h"
#include "lib/quire.h"

struct import_wxr_options {
	const char *export_path; /* the WXR file */
	const char *out_dir;     /* must not exist, or be empty */
	const char *media_dir;   /* a copy of wp-content/uploads, or NULL */
};

/*
 * Imports the export. Every problem is reported through log_report():
 * a malformed export as "PATH:LINE:COLUMN: message", items left out
 * (attachments, menu items, trash) as a summary, uploads not copied
 * one a line. Returns QUIRE_OK with DIR written; QUIRE_EPARSE for a
 * malformed export or one that is no WXR; QUIRE_EINVAL when DIR exists
 * with files in it; QUIRE_EIO, QUIRE_ETOOBIG, QUIRE_ENOMEM. On error
 * nothing is left at DIR.
 */
enum quire_err import_wxr(const struct import_wxr_options *opt);

/* ------------------------------------------------------------------ */
/* Between import_wxr.c (the reading) and import_wxr_write.c (the
 * writing); nothing else uses these. */

enum wxr_kind { WXR_POST, WXR_PAGE };

/* One post or page of the export, as the folder will hold it. */
struct wxr_item {
	long long id;            /* wp:post_id */
	enum wxr_kind kind;
	int draft;               /* draft, pending, private */
	unsigned line;           /* of its <item>, for reports */
	char *title;
	char *slug;              /* unique in the import, case kept */
	char *date;              /* "YYYY-MM-DDTHH:MM:SSZ", or NULL */
	char *author;            /* dc:creator, or NULL */
	char *excerpt;           /* excerpt:encoded, or NULL */
	char *body;              /* content:encoded, HTML as exported */
	struct strlist tags;
	struct strlist categories;
	struct strlist aliases;  /* the <link> path, PATH?p=ID */
};

struct wxr_site {
	char *title;
	char *description;
	char *url;               /* the channel's <link> */
	char *language;
	char *uploads_url;       /* BASE/wp-content/uploads/ */
	struct wxr_item *items;
	size_t n;
};

void wxr_site_release(struct wxr_site *s);

/* Writes s as a content folder at opt->out_dir (through a temporary
 * folder). */
enum quire_err import_wxr_write(const struct wxr_site *s,
				const struct import_wxr_options *opt);

/* WordPress's wpautop, as far as a body without block tags needs it:
 * blank lines make paragraphs, single line breaks <br>. Appends the
 * result of body to a malloc'd string; NULL when out of memory. */
char *import_wxr_autop(const char *body);

#endif
