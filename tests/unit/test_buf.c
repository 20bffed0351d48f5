/*
 * test_buf.c - the growable buffer
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/quire.h"
#include "check.h"

/* buf_recv_ready: what is there now, never waiting; the end seen. */
static void test_recv_ready(void)
{
	struct buf b = BUF_INIT;
	int sv[2];

	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	CHECK(buf_recv_ready(&b, sv[0], 100) == 0); /* nothing yet */
	CHECK(b.len == 0);
	CHECK(write(sv[1], "abcdef", 6) == 6);
	CHECK(buf_recv_ready(&b, sv[0], 4) == 0); /* at most max */
	CHECK(b.len == 4 && memcmp(b.data, "abcd", 4) == 0);
	CHECK(buf_recv_ready(&b, sv[0], 100) == 0);
	CHECK_STR(b.data, "abcdef");
	close(sv[1]);
	CHECK(buf_recv_ready(&b, sv[0], 100) == 1); /* the peer is gone */
	CHECK(b.len == 6);
	close(sv[0]);
	buf_release(&b);
}

/* buf_write_all: all of it, however the pipe splits it; a closed
 * reader is an error. */
static void test_write_all(void)
{
	struct buf b = BUF_INIT, in = BUF_INIT;
	char chunk[4096];
	ssize_t got;
	int p[2], status = -1;
	pid_t pid;
	size_t i;

	for (i = 0; i < 200000; i++)
		buf_putc(&b, (char)('a' + i % 26));
	CHECK(pipe(p) == 0);
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		_exit(buf_write_all(&b, p[1]) == QUIRE_OK ? 0 : 1);
	}
	close(p[1]);
	while ((got = read(p[0], chunk, sizeof(chunk))) > 0)
		buf_append(&in, chunk, (size_t)got);
	CHECK(pid > 0 && waitpid(pid, &status, 0) == pid && status == 0);
	CHECK(in.len == b.len && memcmp(in.data, b.data, b.len) == 0);
	close(p[0]);
	CHECK(pipe(p) == 0);
	close(p[0]);
	signal(SIGPIPE, SIG_IGN);
	CHECK(buf_write_all(&b, p[1]) == QUIRE_EIO);
	close(p[1]);
	buf_release(&b);
	buf_release(&in);
}

int main(void)
{
	struct buf b = BUF_INIT;
	char *s;
	size_t len, i;

	test_recv_ready();
	test_write_all();
	buf_puts(&b, "hello");
	buf_putc(&b, ' ');
	buf_printf(&b, "%s %d", "world", 42);
	CHECK_STR(b.data, "hello world 42");
	CHECK(b.len == 14);
	CHECK(b.data[b.len] == '\0');

	buf_truncate(&b, 5);
	CHECK_STR(b.data, "hello");
	buf_reset(&b);
	CHECK(b.len == 0);
	CHECK_STR(b.data, "");

	/* Growth past the first allocation keeps the contents. */
	for (i = 0; i < 10000; i++)
		buf_putc(&b, (char)('a' + i % 26));
	CHECK(b.len == 10000);
	CHECK(b.data[9999] == (char)('a' + 9999 % 26));
	CHECK(!buf_failed(&b));

	/* A long printf takes the second vsnprintf path. */
	buf_reset(&b);
	buf_printf(&b, "%0500d", 7);
	CHECK(b.len == 500);
	CHECK(b.data[499] == '7');

	s = buf_detach(&b, &len);
	CHECK(s != NULL && len == 500);
	CHECK(b.data == NULL && b.len == 0);
	free(s);

	/* Overflowing growth fails and the flag sticks. */
	buf_puts(&b, "x");
	CHECK(buf_grow(&b, (size_t)-1) != 0);
	CHECK(buf_failed(&b));
	buf_puts(&b, "more");
	CHECK(b.len == 1);
	CHECK(buf_detach(&b, NULL) == NULL);

	/* An empty buf detaches to an empty string. */
	s = buf_detach(&b, &len);
	CHECK(s && s[0] == '\0' && len == 0);
	free(s);
	buf_release(&b);
	return check_done("test_buf");
}
