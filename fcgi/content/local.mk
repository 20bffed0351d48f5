# fcgi/content/local.mk - content: a post from text to HTML — frontmatter, Markdown, templates,
# the content folder and the in-memory site index. Includes lib only.
#
# Included by the top Makefile.am: one build, no recursive make.
libquire_a_SOURCES += \
	%reldir%/content.c %reldir%/content.h \
	%reldir%/content_scan.c %reldir%/content_scan.h \
	%reldir%/content_watch.c %reldir%/content_watch.h \
	%reldir%/frontmatter.c %reldir%/frontmatter.h \
	%reldir%/frontmatter_date.c %reldir%/frontmatter_date.h \
	%reldir%/frontmatter_toml.c %reldir%/frontmatter_toml.h \
	%reldir%/frontmatter_value.c %reldir%/frontmatter_value.h \
	%reldir%/frontmatter_yaml.c %reldir%/frontmatter_yaml.h \
	%reldir%/highlight.cc %reldir%/highlight.h \
	%reldir%/html.c %reldir%/html.h \
	%reldir%/html_sanitize.c %reldir%/html_sanitize.h \
	%reldir%/import_wxr.c %reldir%/import_wxr.h \
	%reldir%/import_wxr_write.c \
	%reldir%/jsonfeed.c %reldir%/jsonfeed.h \
	%reldir%/markdown.c %reldir%/markdown.h \
	%reldir%/permalink.c %reldir%/permalink.h \
	%reldir%/post.c %reldir%/post.h \
	%reldir%/public_tree.c %reldir%/public_tree.h \
	%reldir%/record.c %reldir%/record.h \
	%reldir%/site.c %reldir%/site.h \
	%reldir%/siteconf.c %reldir%/siteconf.h \
	%reldir%/slug_settle.c %reldir%/slug_settle.h \
	%reldir%/strlist.c %reldir%/strlist.h \
	%reldir%/templates.c %reldir%/templates.h \
	%reldir%/tvars.c %reldir%/tvars.h %reldir%/tvars_private.h
