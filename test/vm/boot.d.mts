// Types for boot.mjs (plain JavaScript so run.mjs needs no build step).
export declare const CACHE: string;
export declare function vmKernel(): { dir: string; version: string };
export interface VmRun {
  /** The command's exit status; null when the VM never got that far (see error). */
  status: number | null;
  /** From starting qemu to the guest's first command. */
  bootMs?: number;
  totalMs: number;
  /** The console, without the firmware's escape sequences. */
  output: string;
  /** The host dir the guest saw as /ldvm. */
  share: string;
  error?: string;
}
export declare function bootVm(options: {
  argv: string[];
  cwd?: string;
  env?: Record<string, string>;
  timeoutMs?: number;
  memoryMb?: number;
  onLine?: (line: string) => void;
  keepShare?: boolean;
  files?: Record<string, string>;
}): Promise<VmRun>;
