// How a check runs a program (external commands, ping) through the one process helper.

/** Bytes of stdout+stderr kept for the reason; the rest is read and dropped. */
export const CHECK_OUTPUT_BYTES = 4096;

/**
 * SIGTERM to SIGKILL for a check's program: inside runCheck's grace, so that a checker
 * whose command ignores SIGTERM has still reaped it when runCheck answers.
 */
export const CHECK_KILL_GRACE_MS = 150;
