/*
 * test_gate.c - at most N holders at once across processes (lib/gate.c)
 *
 * Slots shared by processes forked after gate_init: N enter, the next
 * is refused until one leaves; a process holds one slot at most; a
 * holder that dies without leaving has its slot taken back.
 */
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/gate.h"
#include "lib/quire.h"
#include "check.h"

/* Forks a child that enters and answers its result as exit status;
 * with stay, it exits without leaving (a crash, for the gate). */
static int child_enters(int stay)
{
	int st = 0, in;
	pid_t pid = fork();

	if (pid == 0) {
		in = gate_enter();
		if (in && !stay)
			gate_leave();
		_exit(in);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

/* Forks a child that enters and stays in until killed; its pid, once
 * it has entered (*in: 1) or been refused (0). */
static pid_t holder_start(int *in)
{
	int fds[2];
	char c = '0';
	pid_t pid;

	*in = -1;
	if (pipe(fds) != 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		c = (char)('0' + gate_enter());
		(void)!write(fds[1], &c, 1);
		pause();
		_exit(0);
	}
	if (pid > 0 && read(fds[0], &c, 1) == 1)
		*in = c - '0';
	close(fds[0]);
	close(fds[1]);
	return pid;
}

static void holder_kill(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

int main(void)
{
	int in = 0, in2 = 0;
	pid_t holder, holder2;

	CHECK(gate_init(1) == QUIRE_OK);
	CHECK(gate_enter() == 1);
	CHECK(gate_enter() == 1);          /* held already: nothing more */
	CHECK(child_enters(0) == 0);       /* the one slot is ours */
	gate_leave();
	CHECK(child_enters(0) == 1);       /* free again */

	/* A holder that lives keeps its slot; one that died loses it. */
	holder = holder_start(&in);
	CHECK(holder > 0 && in == 1);
	CHECK(gate_enter() == 0);
	holder_kill(holder);
	CHECK(gate_enter() == 1);          /* the dead holder's slot */
	gate_leave();

	/* A child that exits holding it: taken back the same way. */
	CHECK(child_enters(1) == 1);
	CHECK(gate_enter() == 1);
	gate_leave();

	/* n = 3: three holders at once, the fourth refused. */
	CHECK(gate_init(3) == QUIRE_OK);
	CHECK(gate_enter() == 1);
	holder = holder_start(&in);
	holder2 = holder_start(&in2);
	CHECK(in == 1 && in2 == 1);
	CHECK(child_enters(0) == 0);
	holder_kill(holder2);
	CHECK(child_enters(0) == 1);
	holder_kill(holder);
	gate_leave();
	/* n clamped to 1..GATE_MAX. */
	CHECK(gate_init(0) == QUIRE_OK);
	CHECK(gate_enter() == 1);
	CHECK(child_enters(0) == 0);
	gate_leave();
	CHECK(gate_init(1000) == QUIRE_OK);
	CHECK(gate_enter() == 1);
	CHECK(child_enters(0) == 1);
	gate_leave();
	return check_done("test_gate");
}
