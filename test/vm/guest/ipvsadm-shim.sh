#!/bin/sh
# The ipvsadm a scenario hands ldirector (--ipvsadm): logs every call to $LDVM_SHIM_LOG
# (the arguments; for -R each stdin line as "R LINE"), so a scenario can count kernel
# writes, then runs the real /usr/sbin/ipvsadm. With LDVM_BREAK=REGEX it drops the -R
# lines that match: a deliberately broken backend, to show that the scenarios can fail.
# Shell builtins only on the way (no temp files, no sed): under TCG on a loaded host each
# extra process costs seconds, and ldirector gives ipvsadm 10 s.
log=${LDVM_SHIM_LOG:-/dev/null}
echo "$*" >>"$log"
if [ "$1" = "-R" ]; then
  while IFS= read -r line || [ -n "$line" ]; do
    if [ -n "${LDVM_BREAK:-}" ] && printf '%s\n' "$line" | grep -Eq -e "$LDVM_BREAK"; then continue; fi
    printf 'R %s\n' "$line" >>"$log"
    printf '%s\n' "$line"
  done | /usr/sbin/ipvsadm "$@"
  exit
fi
exec /usr/sbin/ipvsadm "$@"
