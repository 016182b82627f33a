/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * MS-OTPCE 3.2.5.1, "Processing A SignCert Request Message": steps 1 to 6.
 */
#ifndef OTPCEP_PROCEDURE_H
#define OTPCEP_PROCEDURE_H

#include "msg.h"
#include "otpcep.h"

struct worker;

/*
 * Runs the procedure for req and fills *resp; the reason for any status but
 * Success is in a->reason. Call proc_response_free() on *resp afterwards.
 */
enum otpcep_status proc_sign_cert(struct worker *w,
    const struct sign_cert_request *req, struct sign_cert_response *resp,
    struct audit *a);

void proc_response_free(struct sign_cert_response *resp);

#endif
