# fcgi/deploy/local.mk - deploy: publishing the content folder — the plan, the deployer and its
# protocol. Includes the layers below it.
#
# Included by the top Makefile.am: one build, no recursive make.
libquire_a_SOURCES += \
	%reldir%/deploy.c %reldir%/deploy.h \
	%reldir%/deploy_cache.c %reldir%/deploy_cache.h \
	%reldir%/deploy_client.c %reldir%/deploy_client.h \
	%reldir%/deploy_refresh.c %reldir%/deploy_refresh.h \
	%reldir%/deploy_server.c %reldir%/deploy_server.h \
	%reldir%/deploy_tiers.c %reldir%/deploy_tiers.h \
	%reldir%/deployer.c %reldir%/deployer.h \
	%reldir%/deployer_private.h \
	%reldir%/deployer_known.c %reldir%/deployer_known.h \
	%reldir%/deployer_run.c \
	%reldir%/export.c %reldir%/export.h
