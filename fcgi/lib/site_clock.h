/*
 * site_clock.h - the site's clock (Redis's), as an offset to this
 * host's monotonic clock, shared by the processes of one pool
 *
 * Each worker measures the offset against Redis (serve/sub.c) before its
 * first request and at every beat. A worker started while Redis could
 * not be asked (a replacement, a reload, during a Redis restart) had
 * only its host's wall clock, which may be off by any amount, and
 * published scheduled posts early or late: the coherence checker's seed
 * 718 saw a post served 20 s before its date by a new worker of a pool
 * whose clock was 29 s ahead, while Redis was down. The monotonic clock
 * is the host's (one CLOCK_MONOTONIC for every process), so an offset
 * one process measured holds for the others: the master maps one cell
 * before it forks, every measure is stored there, and a process that
 * has measured nothing yet reads it.
 */
#ifndef QUIRE_SITE_CLOCK_H
#define QUIRE_SITE_CLOCK_H

#include "lib/quire.h"

/* The environment variable a master hands its offset on in, across a
 * binary upgrade (SIGUSR2: exec keeps the host's monotonic clock). */
#define SITE_CLOCK_ENV "QUIRE_INHERIT_SITE_CLOCK"

/* Maps the cell; in the master, before any fork; takes the offset a
 * master that exec'd this one handed over. QUIRE_OK, or QUIRE_ENOMEM
 * (then each process keeps its own measure, as before any init). */
enum quire_err site_clock_init(void);
/* Before an exec of the next image: the offset known, in the
 * environment (none known: nothing). 0, or -1 (setenv failed). */
int site_clock_hand_over(void);
/* A measured offset (ms: Redis's clock less quire_now_ms), for every
 * process of the pool: the last measured is as good as any (one
 * monotonic clock on the host) and the freshest. */
void site_clock_store(long long offset_ms);
/* 1 and *offset_ms when a process of the pool measured one, else 0. */
int site_clock_load(long long *offset_ms);

#endif
