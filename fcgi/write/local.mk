# fcgi/write/local.mk - write: the write API's durable half — tokens, the committer and its
# wire. Includes the layers below it.
#
# Included by the top Makefile.am: one build, no recursive make.
libquire_a_SOURCES += \
	%reldir%/auth.c %reldir%/auth.h \
	%reldir%/auth_throttle.c %reldir%/auth_throttle.h \
	%reldir%/commit.c %reldir%/commit.h \
	%reldir%/commit_client.c %reldir%/commit_client.h \
	%reldir%/commit_reload.c %reldir%/commit_reload.h \
	%reldir%/commit_wire.c %reldir%/commit_wire.h \
	%reldir%/committer.c %reldir%/committer.h \
	%reldir%/preview.c %reldir%/preview.h
