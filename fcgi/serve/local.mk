# fcgi/serve/local.mk - serve: the FastCGI processes — master, workers, routes, pages, the L1
# cache and invalidation. Includes the layers below it.
#
# Included by the top Makefile.am: one build, no recursive make.
libquire_a_SOURCES += \
	%reldir%/app.c %reldir%/app.h \
	%reldir%/cache.c %reldir%/cache.h \
	%reldir%/edge.c %reldir%/edge.h \
	%reldir%/master.c %reldir%/master.h \
	%reldir%/page.h \
	%reldir%/page_api.c %reldir%/page_api.h \
	%reldir%/page_archive.c \
	%reldir%/page_feed.c \
	%reldir%/page_health.c \
	%reldir%/page_home.c \
	%reldir%/page_list.c \
	%reldir%/page_metrics.c \
	%reldir%/page_not_found.c \
	%reldir%/page_post.c %reldir%/page_post.h \
	%reldir%/page_preview.c \
	%reldir%/page_search.c %reldir%/page_search.h \
	%reldir%/page_static.c \
	%reldir%/page_taxonomy.c \
	%reldir%/response.c %reldir%/response.h \
	%reldir%/route.c %reldir%/route.h \
	%reldir%/sub.c %reldir%/sub.h \
	%reldir%/touch.c %reldir%/touch.h \
	%reldir%/upgrade.c %reldir%/upgrade.h \
	%reldir%/uri.c %reldir%/uri.h \
	%reldir%/view.c %reldir%/view.h \
	%reldir%/worker.c %reldir%/worker.h %reldir%/worker_private.h \
	%reldir%/worker_accept.c \
	%reldir%/worker_io.c \
	%reldir%/worker_writes.c
