import type { BackendName } from "../args.js";
import type { Config } from "../config/types.js";
import type { Backend } from "../ipvs/backend.js";
import { IpvsadmBackend, probeIpvsadm } from "../ipvs/ipvsadm.js";
import { MemoryBackend } from "../ipvs/memory.js";

export interface BackendChoice {
  name?: BackendName;
  /** --ipvsadm, which beats the config's ipvsadm= directive. */
  ipvsadmPath?: string;
}

/**
 * The backend a daemon writes to. ipvsadm is probed once here, so a kernel without IPVS
 * is one clear error at start rather than a failure on every batch.
 */
export async function createBackend(choice: BackendChoice, config: Config): Promise<Backend> {
  switch (choice.name ?? "ipvsadm") {
    case "memory":
      return new MemoryBackend();
    case "nftables": {
      const { NftablesBackend } = await import("../ipvs/nftables.js");
      return new NftablesBackend({ config });
    }
    default: {
      const path = choice.ipvsadmPath ?? config.global.ipvsadm;
      const backend = new IpvsadmBackend(path ? { path } : {});
      await probeIpvsadm(backend.path);
      return backend;
    }
  }
}
