/*
 * content.h - loading posts and pages from the content/ folder (L0)
 */
#ifndef QUIRE_CONTENT_H
#define QUIRE_CONTENT_H

#include <stddef.h>
#include <sys/stat.h>

#include "content/post.h"
#include "content/siteconf.h"
#include "lib/quire.h"

/* What a load found: every post and page that parsed, and site.yaml. */
struct content {
	struct post **posts; /* owned; kind says post or page */
	size_t n;
	size_t n_errors;     /* files reported and skipped */
	struct siteconf *conf; /* owned; NULL: the defaults */
};

struct content_options {
	int unsafe_html;     /* render raw HTML in content files */
	/* A bundle's files, links and cover under this slug's URL folder,
	 * not the one of the slug it asks for: the suffix it was given
	 * (slug_settle.h). NULL: its own. */
	const char *files_slug;
	/* site.yaml's pattern of posts' URLs (permalink.h), under which a
	 * bundle's links are rendered; NULL: the default. content_load
	 * sets it from the site.yaml it reads. */
	const char *posts_pattern;
};

/*
 * Loads DIR/posts/ (recursively, files ending .md, .markdown or .html)
 * and the same files of DIR/pages/.
 * Each file: read (bounded by QUIRE_MAX_FILE), frontmatter parsed, slug
 * from frontmatter, else the Jekyll name YYYY-MM-DD-slug.md (which also
 * gives the date when the frontmatter has none), else the file name;
 * title required; Markdown rendered (with MARKDOWN_TOC when toc: true),
 * or, for NAME.html or "format: html", the HTML body sanitized
 * (html_sanitize.h).
 *
 * A file that fails is logged as "path:line:column: message" and skipped;
 * if PREV (the last good load, may be NULL) has a post from the same path,
 * that old version is kept instead (copied). Two posts with the same slug
 * are both logged with their paths; the one whose path sorts first wins.
 * A missing DIR or posts folder is an empty site, not an error.
 * DIR/site.yaml is read too (content/siteconf.h); one that fails is
 * reported and PREV's kept (the defaults when there is none).
 *
 * Returns QUIRE_OK or QUIRE_ENOMEM. Caller frees with content_free().
 */
enum quire_err content_load(const char *dir, const struct content *prev,
			    const struct content_options *opt,
			    struct content **out);

/*
 * Parses and renders one file's text as if it were at PATH (used by
 * content_load and by tests). Takes ownership of text (malloc'ed, len
 * bytes, NUL-terminated). Returns QUIRE_OK with *out set, or an error
 * with err filled.
 */
enum quire_err content_parse_file(const char *path, enum post_kind kind,
				  char *text, size_t len,
				  const struct content_options *opt,
				  struct post **out, struct parse_error *err);

/*
 * Parses source (len bytes, copied) of the file at path again with its
 * bundle's files under the URL of slug (content_options.files_slug): a
 * bundle served under another slug than it asked for (slug_settle.h)
 * must never show the pictures of the post that kept it. *out the post
 * (caller frees), or NULL when it does not parse now (it did once: the
 * first render stays). QUIRE_OK or QUIRE_ENOMEM.
 */
enum quire_err content_reparse_as(const char *path, enum post_kind kind,
				  const char *source, size_t len,
				  const struct content_options *opt,
				  const char *slug, struct post **out);

/*
 * The slug the content file at p->path (of kind p->kind) asks for:
 * p->slug when its frontmatter set one, else the one its name gives, as
 * a load makes it (p->slug set; p->date too, from a Jekyll name, when p
 * has none). A record reads it to know the slug a deploy did not give
 * (post.wanted_slug). QUIRE_OK, QUIRE_EPARSE or QUIRE_ENOMEM.
 */
enum quire_err content_slug_of(struct post *p);

void content_free(struct content *c);

/* Logs "path:line:column: message" (a warning of event content, path
 * escaped): how every error of a content file is told. */
void content_report(const char *path, unsigned line, unsigned col,
		    const char *msg);

/* Where a walk looks: DIR/sub, every file of kind; the folders of posts
 * are walked down, those of pages are not. */
struct content_folder {
	const char *sub;
	enum post_kind kind;
};
const struct content_folder *content_folders(size_t *n);

/* Whether a file of this name (no folder) is content: .md, .markdown or
 * .html. */
int content_is_name(const char *name);

/* Whether p is a page bundle's index (DESIGN §3): a post at
 * posts/.../X/index.md (.markdown, .html), whose folder's other files
 * are published beside its URL. */
int content_is_bundle(const struct post *p);

/*
 * The URL folder, ending in '/', that the files of the post at post_url
 * are published under (DESIGN §4): post_url itself when it ends in '/',
 * its folder when it ends in ".html", else post_url with a '/' added
 * ("/posts/x" -> "/posts/x/"). QUIRE_OK, or QUIRE_ETOOBIG past size.
 */
enum quire_err content_files_url(const char *post_url, char *out, size_t size);

/*
 * content_files_url() of post p's URL: pattern (site.yaml's posts
 * pattern, NULL: the default) expanded for p under slug (NULL: p's
 * own), as site_post_url() makes it. QUIRE_OK or QUIRE_ETOOBIG.
 */
enum quire_err content_bundle_url(const struct post *p, const char *slug,
				  const char *pattern, char *out, size_t size);

/*
 * Makes p->featured_image (frontmatter image:, cover:) a path from the
 * site's root when it is relative and p no bundle: under "/". A
 * bundle's stays relative: site_post_image() resolves it under the
 * post's URL, which only the site knows for sure. An absolute URL or
 * path is kept. QUIRE_OK or QUIRE_ENOMEM.
 */
enum quire_err content_resolve_image(struct post *p);

/*
 * Makes p->summary_html from its Markdown body (markdown_summary: before
 * <!--more-->, else the first paragraph), a bundle's relative URLs under
 * its folder as its body's (opt's files_slug and posts_pattern, opt
 * NULL: the defaults); its footnote ids under MARKDOWN_SUMMARY_PREFIX
 * and the slug (opt's files_slug, else p's), so that the summaries on
 * one list page never share an id; none for an HTML body. Called
 * when a file is parsed (content_parse_file); record_to_post takes the
 * one the record carries (DESIGN §3, Summaries). A render
 * error leaves none (the description is shown). QUIRE_OK or
 * QUIRE_ENOMEM.
 */
enum quire_err content_summary(struct post *p,
				const struct content_options *opt);

/* A content file found by a walk, before it is read. */
struct content_path {
	char *path;
	enum post_kind kind;
};

/*
 * Lists every file content_load would read, sorted by path, without
 * reading them. Caller frees with content_paths_free().
 */
enum quire_err content_list_paths(const char *dir, struct content_path **out,
				  size_t *n, size_t *n_errors);
void content_paths_free(struct content_path *v, size_t n);

/*
 * Reads path whole into *text (NUL-terminated, caller frees), refusing
 * more than QUIRE_MAX_FILE bytes even if the file grows while read;
 * *st (may be NULL) gets the fstat of what was read. On failure err says
 * why (QUIRE_EIO, QUIRE_ETOOBIG, QUIRE_ENOMEM).
 */
enum quire_err content_read_file(const char *path, char **text, size_t *len,
				 struct stat *st, struct parse_error *err);

#endif
