/*
 * The signing certificate and its key. Nothing else in the program sees the
 * key: all signing goes through this module. The certificate and key are
 * reloaded when their files change or on SIGHUP (signer_request_reload()).
 */
#ifndef OTPCEP_SIGNER_H
#define OTPCEP_SIGNER_H

#include <stdbool.h>

struct config;
struct signer;

/* Start-up: loads and checks certificate and key; NULL (and a log line) on error. */
struct signer *signer_new(const struct config *cfg);
void signer_free(struct signer *s);

/* Async-signal-safe: asks for a reload before the next signature. */
void signer_request_reload(struct signer *s);

#endif
