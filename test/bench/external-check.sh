#!/bin/bash
# The bench's external check (checktype=external): ldirector and ldirectord run it as
# `external-check.sh VIP VPORT RIP RPORT`. It opens a TCP connection to the real and
# closes it, so the reals count it as a connect check; what is measured is the cost of
# running a program per check (fork, exec, bash's start-up, reaping).
exec 3<>"/dev/tcp/$3/$4" || exit 1
exec 3>&-
exit 0
