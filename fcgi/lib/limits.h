/*
 * limits.h - every bound on input, in one place
 *
 * Each is checked before anything is allocated from the input it bounds.
 * At the end, the time quire takes at most to answer an API write, which
 * the web server's timeouts in front of it are set from.
 */
#ifndef QUIRE_LIMITS_H
#define QUIRE_LIMITS_H

#define QUIRE_MAX_URI          2048      /* REQUEST_URI, bytes, query included */
#define QUIRE_MAX_PATH_SEGS    16        /* segments in a request path */
#define QUIRE_MAX_QUERY        1024      /* query string, bytes */
#define QUIRE_MAX_HEADER       8192      /* one request header value we read */
#define QUIRE_MAX_ETAGS        32        /* entity-tags in one If-Match or If-None-Match */
#define QUIRE_MAX_BODY         (1024 * 1024) /* request body, bytes */
#define QUIRE_MAX_FILE         (1024 * 1024) /* one content file, bytes */
#define QUIRE_MAX_FRONTMATTER  (64 * 1024)   /* frontmatter block, bytes */
#define QUIRE_MAX_MARKDOWN     (1024 * 1024) /* Markdown body, bytes */
#define QUIRE_MAX_TABLE_COLS   64        /* columns in one Markdown table */
#define QUIRE_MAX_TAGS         64        /* tags, categories, authors, aliases per post */
#define QUIRE_MAX_POSTS        200000    /* posts and pages in one site */
#define QUIRE_MAX_SLUG         200       /* bytes in a slug */
#define QUIRE_MAX_TITLE_MARKDOWN 1024    /* bytes of a title read as Markdown; longer: as written */
#define QUIRE_MAX_YAML_DEPTH   16        /* nesting in frontmatter, YAML and TOML alike */
#define QUIRE_MAX_PAGE_NUMBER  100000    /* ?page=N */
#define QUIRE_MAX_DIR_DEPTH    16        /* recursion under content/posts */
#define QUIRE_MAX_PUBLIC_FILE  (64 * 1024 * 1024) /* one published file (static/, a bundle's), bytes */
#define QUIRE_MAX_PUBLIC_FILES 100000    /* published files of a site */
#define QUIRE_MAX_PUBLIC_TOTAL (4ULL * 1024 * 1024 * 1024) /* published bytes of a site */
#define QUIRE_MAX_PUBLIC_PATH  1024      /* a published file's URL path, bytes */
#define QUIRE_MAX_TEMPLATE     (1024 * 1024) /* one template file, bytes */
#define QUIRE_IMPORT_MAX_FILES  QUIRE_MAX_POSTS /* files an import walks in a site's folder */
#define QUIRE_IMPORT_MAX_CONFIG QUIRE_MAX_FRONTMATTER /* a site's _config.yml or config.toml, bytes */
#define QUIRE_IMPORT_MAX_STATIC (64 * 1024 * 1024) /* one static file an import copies, bytes */
#define QUIRE_IMPORT_MAX_KEYS   4096      /* keys in a site's config or a post's frontmatter */
#define QUIRE_API_MAX_FAILURES 10        /* wrong API tokens from one address in a window, then 429 (default) */
#define QUIRE_API_FAILURE_WINDOW 60      /* that window, seconds (default) */
#define QUIRE_MAX_HIGHLIGHT    (64 * 1024) /* one code block highlighted, bytes; larger: plain */
#define QUIRE_MAX_HIGHLIGHT_LINE 256   /* one line of it, bytes; a longer line: the block plain */
#define QUIRE_LEASE_SECONDS 30           /* serving unconfirmed, then /healthz 503 (default; DESIGN §13) */
#define QUIRE_MAX_SUMMARY_MARKDOWN 4096 /* bytes of Markdown a post's summary is made of; longer: cut at a block */
#define QUIRE_MAX_SUMMARY      2048      /* bytes of a summary's HTML, carried in every index entry; longer: cut at a block */
#define QUIRE_SUMMARY_MAX_BLOCKS 64      /* top-level blocks a summary keeps */
#define QUIRE_RENDER_INLINE_MAX (8 * 1024) /* Markdown rendered in-process (worst case 0.06 s); larger in a child */
/* CPU time for rendering one post. A sanitizer build (configure
 * --enable-sanitizers) runs every input several times slower, so its
 * budget is scaled alike: the tests just under a limit then test the
 * limit, not the instrumentation. */
#ifdef QUIRE_SANITIZED
#define QUIRE_RENDER_CPU_MS    5000
#else
#define QUIRE_RENDER_CPU_MS    1000
#endif
/* CPU time for highlighting the code of one post, out of the above;
 * what is left when it runs out stays plain. source-highlight's regular
 * expressions backtrack: one line of QUIRE_MAX_HIGHLIGHT_LINE bytes
 * took up to 74 ms (Scala, "${" repeated; sh 32 ms on "/" repeated) and
 * the cost grows with the cube of a line's length. */
#define QUIRE_HIGHLIGHT_CPU_MS (QUIRE_RENDER_CPU_MS / 4)

/* A write parked for the committer gets 503 (outcome unknown) when its
 * reply has not come in this long (serve/worker_writes.c). */
#define QUIRE_API_REPLY_MS     30000
/*
 * quire's bound on answering an API write once a worker took it: the
 * reply's wait, the worker's poll that notices it ran out (a second),
 * the render before it (QUIRE_RENDER_CPU_MS) and the answer (a second).
 * The web server in front must wait longer for /api/ (nginx's
 * fastcgi_read_timeout, lighttpd's "read-timeout": 60 s in deploy/), or
 * a client gets 504 for a write quire then answers, and may commit.
 * `quire.fcgi --help` prints it; test_web_timeouts.sh compares the two.
 */
#define QUIRE_API_ANSWER_MS    (QUIRE_API_REPLY_MS + 1000 + QUIRE_RENDER_CPU_MS + 1000)

#endif
