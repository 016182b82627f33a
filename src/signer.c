/* The signing certificate and key. Not built yet (issue 5). */
#include <stdlib.h>

#include "signer.h"

struct signer {
	int unused;
};

struct signer *
signer_new(const struct config *cfg)
{
	(void)cfg;
	return calloc(1, sizeof(struct signer));
}

void
signer_free(struct signer *s)
{
	free(s);
}

void
signer_request_reload(struct signer *s)
{
	(void)s;
}
