/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/* MS-OTPCE 3.2.5.1 step 5: the CA servers list. */
#include <ctype.h>
#include <string.h>

#include "ca.h"
#include "config.h"

size_t
ca_choose(const struct config *cfg, const char *const **names)
{
	size_t n = cfg->issuing_ca_count;

	*names = (const char *const *)cfg->ca.items;
	/* "verify that the list ... is not empty and pick the first". */
	if (cfg->ca.count == 0)
		return 0;
	return n < cfg->ca.count ? n : cfg->ca.count;
}

/* A DNS host name (RFC 1123 labels) or a literal address. */
static bool
host_valid(const char *s, size_t len)
{
	size_t i, label = 0;

	if (len == 0 || len > 253)
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.') {
			if (label == 0)
				return false;
			label = 0;
			continue;
		}
		if (!(isalnum(c) || c == '-' || c == '_' || c == ':'))
			return false;
		if (++label > 63)
			return false;
	}
	return label > 0;
}

bool
ca_name_valid(const char *s)
{
	const char *bs = strchr(s, '\\');
	const char *p;

	/* MS-WCCE 3.1.1.4.2: pwszAuthority is "ServerName\CAName". */
	if (bs == NULL || strchr(bs + 1, '\\') != NULL)
		return false;
	if (!host_valid(s, (size_t)(bs - s)) || bs[1] == '\0')
		return false;
	for (p = bs + 1; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return false;
	/* The name is an xs:anyURI in IssuingCA: no leading or trailing space. */
	return bs[1] != ' ' && p[-1] != ' ';
}
