/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * Plays systemd socket activation (sd_listen_fds(3)) for the tests, where
 * systemd itself cannot run. Like systemd, it creates the listening Unix
 * socket at PATH and keeps it: it starts PROGRAM with the socket on file
 * descriptor 3, LISTEN_FDS=1 and LISTEN_PID set, writes the program's pid to
 * PIDFILE, and when the program exits starts it again on the same socket, RUNS
 * times in all. A program that shut the shared socket down would leave the
 * next run nothing to accept on.
 *
 *   drv_sdactivate PATH PIDFILE RUNS PROGRAM [ARGS...]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static void
run_child(char **argv)
{
	char pid[32];

	snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	setenv("LISTEN_FDS", "1", 1);
	setenv("LISTEN_PID", pid, 1);
	execv(argv[0], argv);
	perror(argv[0]);
	_exit(127);
}

int
main(int argc, char **argv)
{
	struct sockaddr_un sun;
	FILE *f;
	pid_t child;
	int fd, runs, i, status;

	if (argc < 5 || strlen(argv[1]) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "usage: drv_sdactivate PATH PIDFILE RUNS PROGRAM [ARGS...]\n");
		return 2;
	}
	runs = atoi(argv[3]);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, argv[1]);
	unlink(argv[1]);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0 ||
	    bind(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0 ||
	    listen(fd, 16) != 0 || (fd != 3 && dup2(fd, 3) != 3)) {
		perror("drv_sdactivate");
		return 1;
	}
	if (fd != 3)
		close(fd);
	for (i = 0; i < runs; i++) {
		if ((child = fork()) < 0) {
			perror("fork");
			return 1;
		}
		if (child == 0)
			run_child(argv + 4);
		if ((f = fopen(argv[2], "w")) != NULL) {
			fprintf(f, "%ld\n", (long)child);
			fclose(f);
		}
		waitpid(child, &status, 0);
		fprintf(stderr, "drv_sdactivate: run %d ended with status %d\n",
		    i + 1, WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	}
	close(3);
	unlink(argv[1]);
	return 0;
}
