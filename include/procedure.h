/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * MS-OTPCE 3.2.5.1, "Processing A SignCert Request Message": steps 1 to 6.
 */
#ifndef OTPCEP_PROCEDURE_H
#define OTPCEP_PROCEDURE_H

#include <stdbool.h>

#include "dir.h"
#include "msg.h"
#include "otpcep.h"

struct csr;
struct radius_auth;
struct worker;

/*
 * One request between the steps of MS-OTPCE 3.2.5.1. Step 3 waits for the
 * RADIUS server; so that no thread waits with it (issue 10), the procedure
 * comes in two halves: proc_start() runs steps 1 and 2 and starts step 3;
 * when it returns false, step 3 is waiting on p->radius (radius.h), and
 * proc_finish() takes its answer and runs steps 4 to 6 once it is done.
 * Either way resp->status is set at the end, and p holds nothing more.
 */
struct proc {
	struct worker *w;
	const struct sign_cert_request *req;
	struct sign_cert_response *resp;
	struct audit *a;
	struct csr *csr;
	struct dir_name name;
	struct dir_user user;
	struct radius_auth *radius;	/* step 3, while it runs */
	long long radius_start;		/* clock_us() */
};

bool proc_start(struct proc *p, struct worker *w,
    const struct sign_cert_request *req, struct sign_cert_response *resp,
    struct audit *a);
void proc_finish(struct proc *p);

/*
 * Runs the procedure for req and fills *resp; the reason for any status but
 * Success is in a->reason. Call proc_response_free() on *resp afterwards.
 */
enum otpcep_status proc_sign_cert(struct worker *w,
    const struct sign_cert_request *req, struct sign_cert_response *resp,
    struct audit *a);

void proc_response_free(struct sign_cert_response *resp);

#endif
