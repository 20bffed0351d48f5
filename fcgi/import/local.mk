# fcgi/import/local.mk - import: a site of another generator (Jekyll, Hugo) into a content
# folder — `quirectl import`. Includes lib and content.
#
# Included by the top Makefile.am: one build, no recursive make.
libquire_a_SOURCES += \
	%reldir%/import.c %reldir%/import.h \
	%reldir%/import_config.c %reldir%/import_config.h \
	%reldir%/import_hugo.c %reldir%/import_hugo.h \
	%reldir%/import_jekyll.c %reldir%/import_jekyll.h \
	%reldir%/import_tags.c %reldir%/import_tags.h
