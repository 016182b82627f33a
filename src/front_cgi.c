/* One-shot CGI front. Not built yet (issue 2). */
#include <stdlib.h>

#include "front.h"
#include "log.h"

bool
front_cgi_detected(void)
{
	return getenv("GATEWAY_INTERFACE") != NULL;
}

int
front_cgi_run(struct server *srv)
{
	(void)srv;
	log_err("the CGI front is not built yet");
	return 1;
}

int
front_replay_run(struct server *srv, const char *path)
{
	(void)srv, (void)path;
	log_err("the replay front is not built yet");
	return 1;
}

int
front_fcgi_run(struct server *srv)
{
	(void)srv;
	log_err("the FastCGI front is not built yet");
	return 1;
}
