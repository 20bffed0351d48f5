/*
 * deploy_loop.c - tests/bench/deploy's (c): edits one post and runs a
 * deploy command every INTERVAL ms until STOPFILE exists.
 *
 * Each deploy is a real process of the command given (quire-deploy), but
 * the loop itself costs nothing beside it: the edit is one write, the
 * command is started with posix_spawn (no copy of this process) and the
 * wait is an absolute sleep. A bash loop, which forks itself before each
 * exec, cost ≈ 6 % of the machine at 10 deploys a second here (perf
 * record -a, by comm) and was counted against the reads.
 *
 * usage: deploy_loop FILE BASE INTERVAL_MS STOPFILE TIMES OUT CMD ARGS...
 * FILE holds "Edit counter: N." once: each round writes it with
 * BASE + k for N. TIMES gets a line a deploy: wall µs and exit
 * status; OUT the command's output.
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0 || !(buf = malloc((size_t)n + 1)) ||
	    fread(buf, 1, (size_t)n, f) != (size_t)n) {
		perror(path);
		exit(2);
	}
	fclose(f);
	buf[n] = '\0';
	*len = (size_t)n;
	return buf;
}

int main(int argc, char **argv)
{
	const char *mark = "Edit counter: ";
	struct timespec next;
	posix_spawn_file_actions_t fa;
	char *text, *at, *rest, counter[64];
	long long base, interval_ms, t0;
	size_t len, k;
	FILE *times;
	pid_t pid;
	int fd, status, n;

	if (argc < 8) {
		fprintf(stderr, "usage: deploy_loop FILE BASE INTERVAL_MS STOPFILE "
			"TIMES OUT CMD ARGS...\n");
		return 2;
	}
	text = slurp(argv[1], &len);
	at = strstr(text, mark);
	for (rest = at ? at + strlen(mark) : NULL; rest && *rest >= '0' && *rest <= '9'; rest++)
		;
	if (!at || *rest != '.') {
		fprintf(stderr, "deploy_loop: %s has no \"%sN.\"\n", argv[1], mark);
		return 2;
	}
	base = atoll(argv[2]);
	interval_ms = atoll(argv[3]);
	times = fopen(argv[5], "a");
	if (!times || interval_ms <= 0) {
		perror(argv[5]);
		return 2;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, argv[6], O_WRONLY | O_CREAT | O_APPEND, 0644);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (k = 1; access(argv[4], F_OK) != 0; k++) {
		n = snprintf(counter, sizeof(counter), "%s%lld", mark,
			     base + (long long)k);
		fd = open(argv[1], O_WRONLY | O_TRUNC);
		if (fd == -1 ||
		    write(fd, text, (size_t)(at - text)) != at - text ||
		    write(fd, counter, (size_t)n) != n ||
		    write(fd, rest, len - (size_t)(rest - text)) !=
		    (ssize_t)(len - (size_t)(rest - text)) || close(fd) != 0) {
			perror(argv[1]);
			return 1;
		}
		t0 = now_us();
		if (posix_spawn(&pid, argv[7], &fa, NULL, argv + 7, environ) != 0) {
			perror(argv[7]);
			return 1;
		}
		while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
			;
		fprintf(times, "%lld %d\n", now_us() - t0,
			WIFEXITED(status) ? WEXITSTATUS(status) : 128);
		fflush(times);
		next.tv_nsec += (long)(interval_ms % 1000) * 1000000L;
		next.tv_sec += interval_ms / 1000 + next.tv_nsec / 1000000000L;
		next.tv_nsec %= 1000000000L;
		/* behind (a deploy took longer): from now, no burst to catch up */
		if (now_us() > next.tv_sec * 1000000LL + next.tv_nsec / 1000)
			clock_gettime(CLOCK_MONOTONIC, &next);
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR)
			;
	}
	fclose(times);
	return 0;
}
