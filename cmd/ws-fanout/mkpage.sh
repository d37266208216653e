#!/bin/sh
# mkpage.sh: turn page.html into page.c, its bytes as a C array (checked
# in, so the build needs no generator step; an array, not a string
# literal, because ISO C caps literals at 4095 bytes).  Run it after
# editing page.html; tests/ws-fanout.bats checks page.c is up to date.
# SPDX-License-Identifier: MIT
set -eu
dir=$(dirname "$0")
in=${1:-$dir/page.html}
out=${2:-$dir/page.c}
tmp=$out.tmp.$$
{
	echo "/* page.c: generated from page.html by mkpage.sh; do not edit. */"
	echo "/* SPDX-License-Identifier: MIT */"
	echo "#include <stddef.h>"
	echo
	echo "extern const char *const wf_page_html;"
	echo "extern const size_t wf_page_html_len;"
	echo
	echo "static const unsigned char page[] = {"
	od -An -v -tx1 "$in" | sed -e 's/^ */	/' -e 's/ *$//' \
	    -e 's/\([0-9a-f][0-9a-f]\)/0x\1,/g' -e 's/, /,/g' \
	    -e 's/,0x/, 0x/g'
	echo "	0x00"
	echo "};"
	echo "const char *const wf_page_html = (const char *)page;"
	echo "const size_t wf_page_html_len = sizeof(page) - 1;"
} >"$tmp"
mv "$tmp" "$out"
