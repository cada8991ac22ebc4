import type { Daemon } from "./daemon.js";
import { formatDirectorStatus } from "./daemon.js";

export type StatusReport = Awaited<ReturnType<Daemon["report"]>>;

/** `ldirector status` for people: the state, then each virtual with its reals' health and weight. */
export function formatStatus(r: StatusReport): string {
  return `state: ${r.state}  backend: ${r.backend}  config: ${r.config}\n${formatDirectorStatus(r.director, r.connections)}\n`;
}
