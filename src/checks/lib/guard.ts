// The crash guard of every check. runCheck already turns a checker's synchronous throw
// and its rejection into a failed result; what it cannot see on its own is an error the
// checker's resources raise later, outside its promise: a timer callback that throws, a
// socket that emits 'error' with nobody listening, a promise rejection nobody handles.
// Node raises each of those as a process-level 'uncaughtException' (an unhandled
// rejection too, under Node 20's default --unhandled-rejections=throw), and by default
// the process dies.
//
// Attribution: the checker runs inside an AsyncLocalStorage store, which every timer,
// socket, promise and immediate it creates inherits. Node runs the 'uncaughtException'
// listeners still inside the async context of the callback that threw (verified on Node
// 20.20: the store of a throwing setTimeout, setImmediate, nextTick, an unlistened socket
// 'error', and of an unhandled rejection's promise is visible from the listener), so the
// listener knows which check raised it. While that check is running, the error is its
// failed result; after it answered, the error is its resource dying late and is dropped.
//
// An exception no check raised is a bug in ldirector itself, not something a real did:
// the guard does not swallow it. If nothing else in the process has taken charge of
// uncaught exceptions, it writes the stack to stderr (the journal, under systemd) and
// exits 70 (EX_SOFTWARE), as Node would by default. A daemon that resumes after an
// exception it cannot place may carry a half-done reload or a dead timer chain and look
// alive while no longer failing over; a restart is safe by design instead, because a
// restart over a healthy pool adopts the kernel's table and writes nothing, and
// systemd's Restart=on-failure brings it back within seconds.
import { AsyncLocalStorage } from "node:async_hooks";

export interface CheckScope {
  /** Called with every uncaught error raised inside the check's async context, now or later. */
  fault(error: unknown): void;
}

// The one piece of process-wide plumbing here, by necessity: 'uncaughtException' is a
// process event, so the listener and every check must share one store key. The binding
// never changes; each check's state lives in its own store object.
const checkScope = new AsyncLocalStorage<CheckScope>();

/** Marks the guard's own listener on the process, so it is installed once per process. */
const GUARD = Symbol.for("ldirector.checkGuard");

/** Exit status for an uncaught exception outside every check: EX_SOFTWARE, an internal error. */
export const UNATTRIBUTED_EXIT = 70;

/** Runs `fn` (a checker call) so that any error it raises later, anywhere, reaches `scope.fault`. */
export function withinCheck<T>(scope: CheckScope, fn: () => T, proc: NodeJS.Process = process): T {
  installGuard(proc);
  return checkScope.run(scope, fn);
}

/** Adds the guard's listener to `proc` unless it is there already. Idempotent. */
export function installGuard(proc: NodeJS.Process = process): void {
  if (proc.listeners("uncaughtException").some((l) => GUARD in l)) return;
  const listener = Object.assign((error: Error) => onUncaught(proc, error), { [GUARD]: true });
  proc.on("uncaughtException", listener);
}

function onUncaught(proc: NodeJS.Process, error: unknown): void {
  const scope = checkScope.getStore();
  if (scope !== undefined) {
    try {
      scope.fault(error);
    } catch {
      // A fault handler that fails must not turn a contained error into a crash.
    }
    return;
  }
  // Someone else (a test runner, a daemon's own policy) also listens: they decide.
  if (proc.listenerCount("uncaughtException") > 1) return;
  const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
  proc.stderr.write(
    `ldirector: uncaught exception raised outside every check; exiting (status ${UNATTRIBUTED_EXIT}) ` +
      `so the supervisor restarts a clean process:\n${text}\n`,
  );
  proc.exit(UNATTRIBUTED_EXIT);
}
