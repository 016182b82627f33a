# SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors.
# The build, the Debian package and docs/deployment.md, end to end (issue 13):
#
# 1. A fresh copy of the source tree (what a clone holds: tracked and new
#    files, nothing ignored), owned by an unprivileged user (nobody): its
#    source package is made and linted; `make` succeeds with only the build
#    dependencies, and a second `make` does nothing; otpcep.conf(5) names
#    every configuration key.
# 2. `make dist` twice: the same bytes, names sorted, owner 0, every mtime
#    that of the last commit.
# 3. Every command of every ```sh block of docs/deployment.md, in order, as
#    written: lines starting with `sudo` as root, the others as nobody, each
#    in its own shell, in the folder that holds the source tree. The .deb is
#    built (and lintian-checked, binaries hardening-checked), installed with
#    apt, configured, serves an enrollment through nginx with otpcep-client
#    against real slapd and FreeRADIUS, is purged, and `make install` /
#    `make uninstall` are done; after each removal nothing is left behind.
#    The test stands in only for what the page cannot do (said there too):
#    - the site: da.example.com, EXAMPLE\alice... become the test stack's
#      127.0.0.1 port and user (sed on the command line);
#    - the administrator's edits of /etc/otpcep/otpcep.conf and of the nginx
#      site (it sets the same keys, and a free port instead of 443);
#    - the host's web server: /etc/nginx/ is a scratch copy, and the test's
#      nginx runs it (workers as www-data, like Debian's); /etc/fail2ban/ is
#      a scratch copy too, and the log fail2ban-regex reads is the
#      responder's (journald's part);
#    - systemd, which does not run here: `systemctl enable/disable` edit the
#      unit links with the real systemctl; starting otpcep.socket runs
#      systemd-socket-activate on the unit's ListenStream with the service
#      unit's own ExecStartPre and ExecStart as its User and Group; reload
#      sends SIGHUP.
#    Installing needs root (as in CI): otherwise that part is skipped, and
#    so it is when an otpcep package or /usr/local/sbin/otpcep is already on
#    this machine (the test never touches an installation it did not make).
#    Machine-wide steps run under one lock, so two runs never overlap.
. "$(dirname "$0")/lib.sh"

DOC="$TOP/docs/deployment.md"
ADMIN_USER=nobody
ADMIN_UID=$(id -u "$ADMIN_USER" 2>/dev/null || echo 65534)
ADMIN_GID=$(id -g "$ADMIN_USER" 2>/dev/null || echo 65534)
A="$T/admin"            # the administrator's folder: source tree + files
SRC="$A/otpcep"
chmod 711 "$T"          # nobody and nginx's workers reach their folders
mkdir -p "$A" "$SRC"
as_admin() { # COMMAND...: as the unprivileged user, in $A
	(cd "$A" && setpriv --reuid="$ADMIN_UID" --regid="$ADMIN_GID" --clear-groups \
	    env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL HOME="$A" LC_ALL=C.UTF-8 "$@")
}

# --- 1. a fresh tree, the source package, the build with the build set ----
(cd "$TOP" && git ls-files -co --exclude-standard -z | xargs -0 cp -P --parents -t "$SRC") ||
    { t_fail "copy of the source tree"; t_done; }
chown -R "$ADMIN_UID:$ADMIN_GID" "$A"
t_check "the build set is installed (install-deps.sh build --check)" \
    as_admin otpcep/scripts/install-deps.sh build --check
as_admin dpkg-source -b otpcep >"$T/source.out" 2>&1
t_check "dpkg-source -b: the source package" sh -c "ls '$A'/otpcep_*.dsc >/dev/null 2>&1"
[ -s "$T/source.out" ] && grep -i error "$T/source.out"
as_admin make -C otpcep -j2 >"$T/make1.out" 2>&1
rc=$?
t_check "make as $ADMIN_USER in a fresh tree (exit $rc)" test "$rc" -eq 0
[ "$rc" -eq 0 ] || tail -20 "$T/make1.out"
t_check "make built the responder, the tools, the units and otpcep.conf(5)" \
    test -x "$SRC/cgi-bin/otpcep" -a -x "$SRC/build/bin/otpcep-client" -a \
    -x "$SRC/build/bin/otpcep-ca" -a -s "$SRC/build/systemd/otpcep.service" -a \
    -s "$SRC/build/man/otpcep.conf.5"
t_check "make installed no daemon: the build needs none (no test-set stamp)" \
    test ! -e "$SRC/build/.deps-test-ok"
# otpcep.conf(5) names every key the parser knows (src/config.c's table).
sed -n 's/^[[:space:]]*\(STR\|PATH\|BOOL\|UINT\|LIST\|ENUM\)(\([a-z0-9_]*\).*/\2/p; s/^[[:space:]]*{ "\([a-z0-9_]*\)", K_.*/\1/p' \
    "$SRC/src/config.c" | sort -u >"$T/keys"
missing=$(while read -r k; do
	grep -qx "\.B $k" "$SRC/build/man/otpcep.conf.5" || printf ' %s' "$k"; done <"$T/keys")
t_check "otpcep.conf(5) documents all $(wc -l <"$T/keys") keys of src/config.c (missing:${missing:- none})" \
    sh -c "test -z '$missing' && test \$(wc -l <'$T/keys') -ge 40"
as_admin make -C otpcep -j2 >"$T/make2.out" 2>&1
rc=$?
t_check "a second make does nothing (exit $rc, 'Nothing to be done')" \
    sh -c "test $rc -eq 0 && grep -q \"Nothing to be done for 'all'\" '$T/make2.out' &&
	test \$(grep -v -e 'Nothing to be done' -e ': Entering directory' -e ': Leaving directory' '$T/make2.out' | grep -c .) -eq 0"
as_admin make -C otpcep -q all >/dev/null 2>&1
t_check "make -q: everything is up to date" test $? -eq 0
newer=$(find "$SRC/build" "$SRC/cgi-bin" -newer "$T/make1.out" -type f | head -3)
t_check "the second make wrote no file ($newer)" test -z "$newer"

# --- 2. make dist is reproducible -------------------------------------------
mkdir -p "$T/dist1" "$T/dist2"
make -s -C "$TOP" dist DISTDIR="$T/dist1" >/dev/null 2>&1
sleep 1
make -s -C "$TOP" dist DISTDIR="$T/dist2" >/dev/null 2>&1
VERSION=$(sed -n 's/^#define OTPCEP_VERSION "\(.*\)"/\1/p' "$TOP/include/otpcep.h")
tb="otpcep-$VERSION.tar.gz"
t_check "make dist twice: the same bytes" sh -c \
    "test -s '$T/dist1/$tb' && cmp -s '$T/dist1/$tb' '$T/dist2/$tb'"
ct=$(git -C "$TOP" log -1 --format=%ct)
tar -tzf "$T/dist1/$tb" >"$T/dist.names" 2>/dev/null
tar --numeric-owner --full-time -tvzf "$T/dist1/$tb" >"$T/dist.list" 2>/dev/null
t_check "dist: owner and group 0 for every entry" \
    sh -c "test -s '$T/dist.list' && ! awk '\$2 != \"0/0\"' '$T/dist.list' | grep -q ."
t_check "dist: every mtime is the last commit's" \
    sh -c "! awk '{ print \$4 \" \" \$5 }' '$T/dist.list' | sort -u | while read d; do
	[ \"\$(date -u -d \"\$d UTC\" +%s)\" = $ct ] || echo \"\$d\"; done | grep -q ."
t_check "dist: one top folder, the license and the Makefile in it" sh -c \
    "! grep -v '^otpcep-$VERSION/' '$T/dist.names' | grep -q . &&
     grep -qx 'otpcep-$VERSION/LICENSE' '$T/dist.names' &&
     grep -qx 'otpcep-$VERSION/Makefile' '$T/dist.names'"

# --- 3. docs/deployment.md ---------------------------------------------------
# The commands: each line of a ```sh block (backslash continuations joined).
awk '/^```sh$/ { inb = 1; next } /^```/ { inb = 0; next }
     inb { if (sub(/\\$/, "")) { acc = acc $0; next } print acc $0; acc = "" }' \
    "$DOC" >"$T/doc.cmds"
n_cmds=$(grep -c . "$T/doc.cmds")
t_check "docs/deployment.md has commands to run ($n_cmds)" test "$n_cmds" -ge 20

# The stack the page's site stands for: PKI, LDAPS slapd, FreeRADIUS (TOTP).
. "$TOP/tests/integration/lib_stack.sh"
USER1_DN="CN=User 1,CN=Users,$STACK_DOMAIN_BASE"
USER1_UPN="user1@domain1.corp.company.com"
mkdir -p "$STACK_DIR"
chmod 700 "$STACK_DIR"
stack_pki >"$T/pki.out" 2>&1 || { t_fail "test PKI"; cat "$T/pki.out"; t_done; }
SLAPD_TLS=yes slapd_start >"$T/slapd.out" 2>&1 || { t_fail "slapd"; cat "$T/slapd.out"; t_done; }
freeradius_start >"$T/radius.out" 2>&1 || { t_fail "FreeRADIUS"; cat "$T/radius.out"; t_done; }
# The administrator's files, named as the page names them.
cp "$PKI/sign-rsa.pem" "$A/signing.pem"
cp "$PKI/sign-rsa.key" "$A/signing.key"
cp "$SLAPD_CA_FILE" "$A/ldap-ca.pem"
cp "$SLAPD_PW_FILE" "$A/ldap.password"
cp "$RADIUSD_SECRET_FILE" "$A/radius.secret"
printf 'probe-password\n' >"$A/probe.password"
cp "$PKI/server.pem" "$A/server.pem"
cp "$PKI/server.key" "$A/server.key"
cp "$PKI/ca.pem" "$A/client-ca.pem"
cp "$PKI/ca.pem" "$A/root.pem"
cp "$PKI/client.pem" "$A/machine.pem"
cp "$PKI/client.key" "$A/machine.key"
chmod 600 "$A"/*.key "$A"/*.password "$A/radius.secret"
chown -R "$ADMIN_UID:$ADMIN_GID" "$A"

# The scratch /etc/nginx and the nginx that serves it.
NGX="$T/etc/nginx"
mkdir -p "$NGX/sites-available" "$NGX/sites-enabled" "$NGX/run/tmp"
WEB_PORT=$(t_free_port)
cat >"$NGX/nginx.conf" <<CONF
user www-data;
worker_processes 1;
pid $NGX/run/nginx.pid;
error_log $NGX/run/error.log info;
events { worker_connections 64; }
http {
	client_body_temp_path $NGX/run/tmp/body;
	fastcgi_temp_path $NGX/run/tmp/fastcgi;
	proxy_temp_path $NGX/run/tmp/proxy;
	scgi_temp_path $NGX/run/tmp/scgi;
	uwsgi_temp_path $NGX/run/tmp/uwsgi;
	access_log off;
	include $NGX/sites-enabled/*;
}
CONF
# ... and a scratch copy of the host's /etc/fail2ban.
F2B="$T/etc/fail2ban"
if [ -d /etc/fail2ban ]; then cp -a /etc/fail2ban "$F2B"; else mkdir -p "$F2B/filter.d" "$F2B/jail.d"; fi
chmod -R go+rX "$T/etc"
NGINX_PID=""
SOCKET_PID=""

# The prelude of every command's shell: sudo, nginx and systemctl.
cat >"$T/prelude.sh" <<PRELUDE
sudo() {
	if [ "\$1" = -u ]; then _u=\$2; shift 2; runuser -u "\$_u" -- "\$@"; else "\$@"; fi
}
nginx() { command nginx -c "$NGX/nginx.conf" -p "$NGX/run/" "\$@"; }
systemctl() { printf '%s\n' "\$*" >>"$T/systemctl.queue"; }
PRELUDE
chmod 644 "$T/prelude.sh"

# The site's names become the test stack's.
site() {
	sed -e "s|https://da.example.com/otpcep|https://127.0.0.1:$WEB_PORT/otpcep|g" \
	    -e "s|'EXAMPLE\\\\alice'|'DOMAIN1\\\\user1'|g" \
	    -e "s|'CN=Alice,CN=Users,DC=example,DC=com'|'$USER1_DN'|g" \
	    -e "s|alice@example.com|$USER1_UPN|g" \
	    -e "s|/etc/nginx/|$NGX/|g" \
	    -e "s|/etc/fail2ban/|$F2B/|g" \
	    -e "s|/var/log/daemon.log|$T/otpcep.service.log|g"
}

# unit_value UNIT KEY: a key's value in an installed unit.
unit_value() { sed -n "s/^$2=//p" "$1" | head -n 1; }

# systemd's part, done after the command that asked for it.
sysd_start_socket() {
	su=/lib/systemd/system/otpcep.socket
	sv=/lib/systemd/system/otpcep.service
	[ -n "$SOCKET_PID" ] && return 0
	sock=$(unit_value "$su" ListenStream)
	svc_user=$(unit_value "$sv" User)
	svc_group=$(unit_value "$sv" Group)
	pre=$(unit_value "$sv" ExecStartPre)
	start=$(unit_value "$sv" ExecStart)
	install -d -m "$(unit_value "$su" DirectoryMode)" "$(dirname "$sock")"
	t_start otpcep.socket "$T/otpcep.service.log" systemd-socket-activate -l "$sock" -- \
	    setpriv --reuid="$svc_user" --regid="$svc_group" --init-groups \
	    sh -c "$pre && exec $start"
	SOCKET_PID=$T_LAST_PID
	i=0
	while [ ! -S "$sock" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	chgrp "$(unit_value "$su" SocketGroup)" "$sock" && chmod "$(unit_value "$su" SocketMode)" "$sock"
	t_check "otpcep.socket listens on $sock" test -S "$sock"
}
sysd_stop_socket() {
	[ -n "$SOCKET_PID" ] && t_stop "$SOCKET_PID"
	SOCKET_PID=""
	rm -rf /run/otpcep
}
sysd_nginx() { # reload
	if [ -n "$NGINX_PID" ] && kill -0 "$NGINX_PID" 2>/dev/null; then
		kill -HUP "$NGINX_PID"
		sleep 0.5
	else
		t_start nginx "$T/nginx.out" command nginx -c "$NGX/nginx.conf" -p "$NGX/run/" \
		    -g 'daemon off;'
		NGINX_PID=$T_LAST_PID
		web_wait_tls "$WEB_PORT" || t_fail "nginx serves https://127.0.0.1:$WEB_PORT"
	fi
}
sysd_queue() {
	[ -s "$T/systemctl.queue" ] || return 0
	while read -r verb rest; do
		now=no
		case " $rest " in *" --now "*) now=yes ;; esac
		units=$(printf '%s\n' "$rest" | tr ' ' '\n' | grep -v '^--' | tr '\n' ' ')
		case "$verb" in
		enable)
			command systemctl enable $units >>"$T/systemctl.out" 2>&1 ||
			    t_fail "systemctl enable $units (offline)"
			[ "$now" = yes ] && sysd_start_socket ;;
		disable)
			command systemctl disable $units >>"$T/systemctl.out" 2>&1 ||
			    t_fail "systemctl disable $units (offline)"
			[ "$now" = yes ] && sysd_stop_socket ;;
		reload)
			case "$units" in
			*nginx*) sysd_nginx ;;
			*otpcep*)
				rp=$(pgrep -P "$SOCKET_PID" 2>/dev/null; echo "$SOCKET_PID")
				kill -HUP $rp 2>/dev/null ;;
			esac ;;
		*) t_fail "systemctl $verb: not expected by this test" ;;
		esac
	done <"$T/systemctl.queue"
	: >"$T/systemctl.queue"
}

# The administrator's edit of /etc/otpcep/otpcep.conf: these keys, each
# line for a key (set or commented out) replaced.
edit_conf() {
	f=/etc/otpcep/otpcep.conf
	set -- "template = $STACK_TEMPLATE_OID" "ca = $STACK_CA_STRING" \
	    "require_client_cert = yes" "log = stderr" \
	    "ldap_uri = $SLAPD_LDAPS_URI" "ldap_ca_file = /etc/otpcep/ldap-ca.pem" \
	    "ldap_bind_dn = $SLAPD_BIND_DN" "ldap_password_file = /etc/otpcep/ldap.password" \
	    "domain = DOMAIN1 $STACK_DOMAIN_BASE" \
	    "radius_server = 127.0.0.1:$RADIUSD_PORT" "radius_secret_file = /etc/otpcep/radius.secret" \
	    "radius_username = user" \
	    "signing_cert = /etc/otpcep/signing.pem" "signing_key = /etc/otpcep/signing.key" \
	    'signing_client_account = DOMAIN1\DA1$' \
	    "probe_user = DAProbeUser" "probe_password_file = /etc/otpcep/probe.password"
	for kv in "$@"; do
		sed -i "/^#\{0,1\}${kv%% *} = /d" "$f"
	done
	printf '%s\n' "$@" >>"$f"
}
# ... and of the nginx site: a free port (no 443 in a test), IPv4 only, the
# logs in the scratch folder.
edit_site() {
	sed -i -e "s|listen 443 ssl;|listen 127.0.0.1:$WEB_PORT ssl;|" \
	    -e 's|^\([[:space:]]*listen[[:space:]]*\[::\]:.*\)|# \1|' \
	    -e "s|/var/log/nginx/|$NGX/run/|" "$NGX/sites-available/otpcep"
}

# What must be on the machine after the package is installed.
check_installed() {
	t_check "package otpcep installed" sh -c \
	    "dpkg-query -W -f='\${Status}' otpcep | grep -q 'ok installed'"
	t_check "system user otpcep: uid < 1000, group otpcep, no login shell" sh -c \
	    "u=\$(getent passwd otpcep) && test \$(echo \"\$u\" | cut -d: -f3) -lt 1000 &&
	     test \"\$(id -gn otpcep)\" = otpcep && echo \"\$u\" | grep -q ':/usr/sbin/nologin$'"
	t_check "/etc/otpcep: root:otpcep 0750" test "$(stat -c '%U:%G %a' /etc/otpcep)" = "root:otpcep 750"
	t_check "/etc/otpcep/otpcep.conf: root:otpcep 0640" \
	    test "$(stat -c '%U:%G %a' /etc/otpcep/otpcep.conf)" = "root:otpcep 640"
	t_check "/etc/otpcep/otpcep.conf is a conffile" sh -c \
	    "dpkg-query -W -f='\${Conffiles}' otpcep | grep -q '^ /etc/otpcep/otpcep.conf '"
	t_check "units in /lib/systemd/system with the real path" sh -c \
	    "grep -qx 'ExecStart=/usr/sbin/otpcep -c /etc/otpcep/otpcep.conf' /lib/systemd/system/otpcep.service &&
	     test -s /lib/systemd/system/otpcep.socket"
	t_check "units installed but not enabled" sh -c \
	    "! ls /etc/systemd/system/*.wants/otpcep.* >/dev/null 2>&1"
	t_check "nothing runs as otpcep after the install" sh -c "! pgrep -u otpcep >/dev/null"
	t_check "man pages: otpcep(8), otpcep.conf(5), otpcep-client(1), otpcep-ca(1)" sh -c \
	    "test -s /usr/share/man/man8/otpcep.8.gz -a -s /usr/share/man/man5/otpcep.conf.5.gz -a \
	     -s /usr/share/man/man1/otpcep-client.1.gz -a -s /usr/share/man/man1/otpcep-ca.1.gz"
	t_check "/usr/sbin/otpcep --version" sh -c "/usr/sbin/otpcep --version | grep -qx 'otpcep $VERSION'"
	if command -v hardening-check >/dev/null; then
		hardening-check /usr/sbin/otpcep /usr/bin/otpcep-client /usr/bin/otpcep-ca \
		    >"$T/hardening.out" 2>&1
		t_check "hardening-check: PIE, stack protector, fortify, relro, bindnow" \
		    sh -c "! grep -E '(Position Independent|Stack protected|Fortify Source|Read-only relocations|Immediate binding).*: no' '$T/hardening.out'"
	else
		t_pass "hardening-check (devscripts) not installed: SKIP"
	fi
}
# Nothing of the package may be left (PREFIX: /usr for it, /usr/local for
# make install).
check_gone() { # WHAT PREFIX
	left=""
	for f in "$2/sbin/otpcep" "$2/bin/otpcep-client" "$2/bin/otpcep-ca" \
	    "$2/share/man/man8/otpcep.8" "$2/share/man/man8/otpcep.8.gz" \
	    "$2/share/man/man5/otpcep.conf.5.gz" "$2/share/man/man5/otpcep.conf.5" \
	    "$2/share/doc/otpcep" /etc/otpcep /run/otpcep \
	    /lib/systemd/system/otpcep.service /lib/systemd/system/otpcep.socket \
	    "$2/lib/systemd/system/otpcep.service" "$2/lib/systemd/system/otpcep.socket"; do
		[ -e "$f" ] && left="$left $f"
	done
	ls /etc/systemd/system/*.wants/otpcep.* >/dev/null 2>&1 && left="$left unit-links"
	getent passwd otpcep >/dev/null && left="$left user"
	getent group otpcep >/dev/null && left="$left group"
	dpkg-statoverride --list | grep -q otpcep && left="$left statoverrides"
	t_check "after $1 nothing is left behind (${left:-nothing})" test -z "$left"
}

# before_command LINE: what the page says the administrator has at hand.
before_command() {
	case "$1" in
	*"otpcep-client "*)
		# The user's one-time password, from the token (here: oathtool).
		code=$(radius_totp_code)
		(umask 077 && printf '%s\n' "$code" >"$A/code")
		chown "$ADMIN_UID:$ADMIN_GID" "$A/code" ;;
	esac
}

# deploy_cleanup: if the test stopped half-way, what it put on the machine
# goes (the package, make install's files, the user, /etc/otpcep).
deploy_cleanup() {
	[ -n "$SOCKET_PID" ] && kill "$SOCKET_PID" 2>/dev/null
	if dpkg-query -W -f='${Status}' otpcep 2>/dev/null | grep -q 'ok installed\|config-files'; then
		echo "cleanup: purging the otpcep package"
		apt-get purge -y -q otpcep >/dev/null 2>&1 || dpkg --purge otpcep >/dev/null 2>&1
	fi
	if [ -e /usr/local/sbin/otpcep ] && [ "$make_installed" = yes ]; then
		make -s -C "$SRC" uninstall >/dev/null 2>&1
	fi
	getent passwd otpcep >/dev/null && deluser --system otpcep >/dev/null 2>&1
	getent group otpcep >/dev/null && delgroup --system otpcep >/dev/null 2>&1
	for f in /etc/otpcep/otpcep.conf /etc/otpcep; do
		dpkg-statoverride --list "$f" >/dev/null 2>&1 && dpkg-statoverride --remove "$f"
	done
	rm -rf /etc/otpcep /run/otpcep
	rm -f /etc/systemd/system/sockets.target.wants/otpcep.socket
}

# after_command LINE: what the test checks, or does for the page, after it.
after_command() {
	case "$1" in
	*"dpkg-buildpackage"*)
		deb=$(ls "$A"/otpcep_*_amd64.deb "$A"/otpcep_*_*.deb 2>/dev/null | head -n 1)
		t_check "the .deb is there ($deb)" test -s "$deb"
		dsc=$(ls "$A"/otpcep_*.dsc | head -n 1)
		as_admin lintian --fail-on error,warning "$deb" "$dsc" >"$T/lintian.out" 2>&1
		rc=$?
		t_check "lintian: no error, no warning on the .deb and the source (exit $rc)" test "$rc" -eq 0
		grep -E '^[EW]: ' "$T/lintian.out"
		dpkg-deb -c "$deb" >"$T/deb.list"
		t_check "the .deb holds the responder, tools, units and man pages" sh -c \
		    "grep -q ' ./usr/sbin/otpcep$' '$T/deb.list' && grep -q ' ./usr/bin/otpcep-client$' '$T/deb.list' &&
		     grep -q ' ./lib/systemd/system/otpcep.socket$' '$T/deb.list' &&
		     grep -q ' ./usr/share/man/man5/otpcep.conf.5.gz$' '$T/deb.list'" ;;
	*"apt install "*) check_installed ;;
	*"otpcep --check-config")
		if [ "$conf_edited" = no ]; then
			t_check "the shipped configuration: OK, steps 2 to 4 not configured" sh -c \
			    "grep -q 'configuration OK' '$T/cmd.out' && grep -q 'not configured' '$T/cmd.out'"
		fi ;;
	*"probe.password /etc/otpcep/")
		edit_conf
		conf_edited=yes
		t_check "after the edit: still root:otpcep 0640" \
		    test "$(stat -c '%U:%G %a' /etc/otpcep/otpcep.conf)" = "root:otpcep 640" ;;
	*"/sites-available/otpcep") edit_site ;;
	*"fail2ban-regex "*)
		t_check "fail2ban-regex read the responder's log with the shipped filter" \
		    grep -q '^Lines: [1-9]' "$T/cmd.out" ;;
	*"systemctl enable --now otpcep.socket")
		t_check "otpcep.socket enabled (sockets.target.wants)" \
		    test -L /etc/systemd/system/sockets.target.wants/otpcep.socket ;;
	*"otpcep-client "*)
		t_check "otpcep-client wrote the SignedCertRequest" test -s "$A/alice.signed.der"
		t_check "the responder, started by the socket as otpcep, logged Success" \
		    grep -q 'status=Success' "$T/otpcep.service.log" ;;
	*"systemctl reload otpcep")
		sleep 0.5
		t_check "the responder lives on after SIGHUP" \
		    sh -c "pgrep -u otpcep -x otpcep >/dev/null" ;;
	*"rm -r /etc/otpcep")
		if [ "$make_installed" = no ]; then check_gone "apt purge" /usr
		else check_gone "make uninstall" /usr/local; fi ;;
	*"make -C otpcep install")
		make_installed=yes
		t_check "make install: /usr/local/sbin/otpcep, units with that path" sh -c \
		    "test -x /usr/local/sbin/otpcep &&
		     grep -qx 'ExecStart=/usr/local/sbin/otpcep -c /etc/otpcep/otpcep.conf' /usr/local/lib/systemd/system/otpcep.service"
		t_check "make install: /etc/otpcep/otpcep.conf root:otpcep 0640" \
		    test "$(stat -c '%U:%G %a' /etc/otpcep/otpcep.conf)" = "root:otpcep 640" ;;
	esac
}

# Runs the page's commands; stops before the first root one when installing
# is not possible here. Another run of this test (another checkout's make
# check) holds the lock while it installs: wait for it rather than skip.
exec 9>/run/lock/otpcep-deployment-test.lock 2>/dev/null || exec 9>"$T/lock"
LOCKED=""
if [ "$(id -u)" -eq 0 ]; then
	flock -w 900 9 && LOCKED=yes
fi
can_install=yes
why=""
if [ "$(id -u)" -ne 0 ]; then can_install=no why="not root"
elif dpkg-query -W -f='${Status}' otpcep 2>/dev/null | grep -q 'ok installed'; then
	can_install=no why="an otpcep package is installed on this machine"
elif [ -e /usr/local/sbin/otpcep ] || [ -e /etc/otpcep ] || getent passwd otpcep >/dev/null ||
    getent group otpcep >/dev/null; then
	can_install=no why="/usr/local/sbin/otpcep, /etc/otpcep or a user or group otpcep exists here"
fi
conf_edited=no
make_installed=no
: >"$T/systemctl.queue"
chmod 666 "$T/systemctl.queue"
ran=0
while IFS= read -r line; do
	[ -n "$line" ] || continue
	cmd=$(printf '%s\n' "$line" | site)
	before_command "$line"
	case "$line" in
	sudo\ *)
		if [ "$can_install" = no ]; then
			t_pass "the rest of deployment.md needs root and a machine without otpcep ($why): SKIP"
			break
		fi
		if [ -z "$LOCKED" ]; then
			t_fail "the machine-wide lock (waited 900 s)"
			break
		fi
		# Machine-wide state may change from here: undone on exit.
		trap 'deploy_cleanup; t_cleanup' EXIT
		(cd "$A" && printf 'y\n' | env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
		    bash -c ". '$T/prelude.sh'; $cmd") >"$T/cmd.out" 2>&1 ;;
	*)
		as_admin bash -c ". '$T/prelude.sh'; $cmd" >"$T/cmd.out" 2>&1 </dev/null ;;
	esac
	rc=$?
	ran=$((ran + 1))
	t_check "deployment.md: $line (exit $rc)" test "$rc" -eq 0
	[ "$rc" -eq 0 ] || tail -n 20 "$T/cmd.out"
	sysd_queue
	after_command "$line"
done <"$T/doc.cmds"
if [ "$can_install" = yes ]; then
	t_check "every command of deployment.md ran ($ran of $n_cmds)" test "$ran" -eq "$n_cmds"
fi
[ -n "$SOCKET_PID" ] && sysd_stop_socket
[ "$T_FAILED" -eq 0 ] || { tail -n 30 "$T/otpcep.service.log" 2>/dev/null; cat "$T/systemctl.out" 2>/dev/null; }
t_done
