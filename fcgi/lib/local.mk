# fcgi/lib/local.mk - lib: the layer everything stands on — buffers, arenas, logging, limits,
# settings, privileges, sandboxing, threads, metrics. Includes nothing of
# quire's above it.
#
# Included by the top Makefile.am: one build, no recursive make.
libquire_a_SOURCES += \
	%reldir%/arena.c %reldir%/arena.h \
	%reldir%/buf.c %reldir%/buf.h \
	%reldir%/config.c %reldir%/config.h \
	%reldir%/etag.c %reldir%/etag.h \
	%reldir%/gate.c %reldir%/gate.h \
	%reldir%/key_table.c %reldir%/key_table.h \
	%reldir%/limits.h \
	%reldir%/log.c %reldir%/log.h \
	%reldir%/metrics.c %reldir%/metrics.h \
	%reldir%/parallel.c %reldir%/parallel.h \
	%reldir%/precond.c %reldir%/precond.h \
	%reldir%/prefault.c %reldir%/prefault.h \
	%reldir%/privs.c %reldir%/privs.h \
	%reldir%/quire.c %reldir%/quire.h \
	%reldir%/sandbox_pool.c %reldir%/sandbox_pool.h \
	%reldir%/site_clock.c %reldir%/site_clock.h
