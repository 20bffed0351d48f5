# fcgi/tiers/local.mk - tiers: the shared stores — Redis (L2) and PostgreSQL (L3) and the read
# path over them. Includes lib and content.
#
# Included by the top Makefile.am: one build, no recursive make.
libquire_a_SOURCES += \
	%reldir%/tier_pg.h \
	%reldir%/tier_pg_conn.c \
	%reldir%/tier_pg_deploy.c \
	%reldir%/tier_pg_private.h \
	%reldir%/tier_pg_read.c \
	%reldir%/tier_pg_restore.c \
	%reldir%/tier_pg_schema.c \
	%reldir%/tier_pg_search.c \
	%reldir%/tier_pg_summary.c \
	%reldir%/tier_pg_values.c \
	%reldir%/tier_pg_write.c \
	%reldir%/tier_redis.c %reldir%/tier_redis.h \
	%reldir%/tier_redis_private.h \
	%reldir%/tier_redis_cache.c \
	%reldir%/tier_redis_codec.c %reldir%/tier_redis_codec.h \
	%reldir%/tier_redis_pubsub.c \
	%reldir%/tier_redis_workers.c \
	%reldir%/search.c %reldir%/search.h \
	%reldir%/search_fts.c %reldir%/search_fts.h \
	%reldir%/search_fts_rank.c %reldir%/search_fts_rank.h \
	%reldir%/search_fts_snip.c %reldir%/search_fts_snip.h \
	%reldir%/search_query.c %reldir%/search_query.h \
	%reldir%/tiers.c %reldir%/tiers.h \
	%reldir%/tiers_private.h \
	%reldir%/tiers_floor.c %reldir%/tiers_floor.h \
	%reldir%/tiers_restore.c %reldir%/tiers_restore.h \
	%reldir%/tiers_store.c %reldir%/tiers_store.h
