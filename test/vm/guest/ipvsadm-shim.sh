#!/bin/sh
# The ipvsadm a scenario hands ldirector (--ipvsadm): logs every call to $LDVM_SHIM_LOG
# (the arguments; for -R each stdin line as "R LINE"), so a scenario can count kernel
# writes, then runs the real /usr/sbin/ipvsadm. With LDVM_BREAK=REGEX it drops the -R
# lines that match: a deliberately broken backend, to show that the scenarios can fail.
log=${LDVM_SHIM_LOG:-/dev/null}
echo "$*" >>"$log"
if [ "$1" = "-R" ]; then
  batch=$(mktemp)
  if [ -n "${LDVM_BREAK:-}" ]; then grep -Ev -e "$LDVM_BREAK" >"$batch" || true; else cat >"$batch"; fi
  sed 's/^/R /' "$batch" >>"$log"
  /usr/sbin/ipvsadm "$@" <"$batch"
  rc=$?
  rm -f "$batch"
  exit $rc
fi
exec /usr/sbin/ipvsadm "$@"
