// execute=: other config files whose ldirector instances this one starts, stops and
// reloads (ldirectord's ld_cmd_children). Each is the same CLI, run without a shell.
import { fileURLToPath } from "node:url";
import type { Logger } from "pino";
import { runCommand } from "../effects/command.js";

export type InstanceAction = "start" | "stop" | "reload";

const cli = fileURLToPath(new URL("../cli.js", import.meta.url));

export class Instances {
  private running: string[] = [];

  constructor(
    private readonly log: Logger,
    /** Options passed on to the children, e.g. --backend and --ipvsadm. */
    private readonly passOn: string[] = [],
  ) {}

  private async run(config: string, action: InstanceAction): Promise<boolean> {
    const argv = [process.execPath, cli, ...this.passOn, config, action];
    const r = await runCommand(argv, { timeoutMs: 60_000 });
    const fields = { instance: config, action, code: r.code, timedOut: r.timedOut };
    if (r.code === 0) this.log.info(fields, `execute= instance ${action}`);
    else this.log.error({ ...fields, output: r.output }, `execute= instance ${action} failed`);
    return r.code === 0;
  }

  /** At start and on reload: new names start, vanished ones stop, kept ones reload (or start if that fails). */
  async sync(configs: string[]): Promise<void> {
    const before = new Set(this.running);
    const after = new Set(configs);
    await Promise.all([
      ...[...before].filter((c) => !after.has(c)).map((c) => this.run(c, "stop")),
      ...[...after].map(async (c) => {
        if (!before.has(c)) return this.run(c, "start");
        return (await this.run(c, "reload")) || this.run(c, "start");
      }),
    ]);
    this.running = [...after];
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.running.map((c) => this.run(c, "stop")));
    this.running = [];
  }
}
