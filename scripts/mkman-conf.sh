#!/bin/sh
# SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors.
# Writes the manual page otpcep.conf(5) to stdout from docs/configuration.md,
# so that the page documents every key the reference does, always.
# Usage: scripts/mkman-conf.sh docs/configuration.md VERSION DATE
# The markdown is the subset that file uses: "# " title, "## " sections,
# paragraphs, "- " lists, 4-space code blocks, | tables | whose first column
# is the key, and `code`, **bold** and *italic* inline.
set -eu
[ $# -eq 3 ] || { echo "usage: scripts/mkman-conf.sh FILE.md VERSION DATE" >&2; exit 64; }

awk -v version="$2" -v date="$3" '
# inline: roff escapes, then markdown emphasis to fonts.
function inline(s,   out, m) {
	gsub(/\\/, "\\e", s)
	gsub(/-/, "\\-", s)
	gsub(/—/, "\\(em", s); gsub(/–/, "\\(en", s); gsub(/…/, "...", s)
	gsub(/→/, "\\(->", s); gsub(/×/, "\\(mu", s)
	out = ""
	while (match(s, /\*\*[^*]+\*\*|`[^`]+`|\*[^* ][^*]*\*/)) {
		m = substr(s, RSTART, RLENGTH)
		out = out substr(s, 1, RSTART - 1)
		if (m ~ /^\*\*/) out = out "\\fB" substr(m, 3, RLENGTH - 4) "\\fR"
		else if (m ~ /^`/) out = out "\\fB" substr(m, 2, RLENGTH - 2) "\\fR"
		else out = out "\\fI" substr(m, 2, RLENGTH - 2) "\\fR"
		s = substr(s, RSTART + RLENGTH)
	}
	s = out s
	if (s ~ /^[.\047]/) s = "\\&" s
	return s
}
function trim(s) { sub(/^[ \t]+/, "", s); sub(/[ \t]+$/, "", s); return s }
# out: one line of roff; a paragraph break only before running text.
function out(l) {
	if (pp && l !~ /^\.(SH|SS|TP|IP|PP|RS|fi|RE)/) print ".PP"
	pp = 0
	print l
}
function endcode() { if (code) { out(".fi"); out(".RE"); code = 0 } }
BEGIN {
	print ".\\\" Generated from docs/configuration.md by scripts/mkman-conf.sh: edit that file."
	print ".TH OTPCEP.CONF 5 \"" date "\" \"otpcep " version "\" \"File Formats\""
	print ".SH NAME"
	print "otpcep.conf \\- configuration file of the otpcep MS\\-OTPCE responder"
	print ".SH SYNOPSIS"
	print ".I /etc/otpcep/otpcep.conf"
	print ".SH DESCRIPTION"
	code = 0; started = 0; pp = 0
}
/^# / { next }
/^## / {
	endcode()
	if (!started) { out(".SH KEYS"); started = 1 }
	out(".SS " inline(substr($0, 4)))
	next
}
/^\|/ {
	endcode()
	n = split($0, c, "|")
	# c[1] is empty (the leading bar); c[n] too (the trailing one).
	if (c[2] ~ /^ *-+ *$/) next
	k = trim(c[2])
	if (k == "key") { keytable = 1; next }
	gsub(/`/, "", k)
	out(".TP")
	out(".B " inline(k))
	if (keytable && n >= 5) {
		d = trim(c[3])
		out((d ~ /required/ ? "" : "Default: ") inline(d) ".")
		out(inline(trim(c[4])))
	} else {
		rest = ""
		for (i = 3; i < n; i++) rest = rest (rest == "" ? "" : "; ") trim(c[i])
		out(inline(rest))
	}
	next
}
/^    / && (code || prev == "") {
	if (!code) { out(".RS 4"); out(".nf"); code = 1 }
	out(inline(substr($0, 5)))
	prev = $0
	next
}
/^$/ { endcode(); keytable = 0; pp = 1; prev = ""; next }
/^- / { endcode(); out(".IP \\(bu 2"); out(inline(substr($0, 3))); prev = $0; next }
{ endcode(); out(inline(trim($0))); prev = $0 }
END {
	endcode()
	pp = 0
	print ".SH FILES"
	print ".TP"
	print ".I /etc/otpcep/otpcep.conf"
	print "The configuration (root:otpcep, mode 0640 in the Debian package)."
	print ".TP"
	print ".I /etc/otpcep/"
	print "Keys and secret files (root:otpcep, mode 0750)."
	print ".SH SEE ALSO"
	print ".BR otpcep (8),"
	print ".BR otpcep\\-client (1),"
	print ".BR otpcep\\-ca (1)"
}' "$1" | cat -s
