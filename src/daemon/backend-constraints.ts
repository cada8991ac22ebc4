import { ConfigError, ConfigErrors } from "../config/errors.js";
import type { Config } from "../config/types.js";
import { nftSchedulers } from "../ipvs/nftables-render.js";

/**
 * What the nftables backend cannot do, as config errors at the lines that ask for it.
 * nftables does NAT only (no direct routing or tunnelling) and has no connection-count
 * schedulers; approximating them silently would balance differently from what the file
 * says, so the config is refused instead (at start, and on reload, where the running
 * config stays).
 */
export function nftablesRefusals(config: Config): ConfigError[] {
  const errors: ConfigError[] = [];
  if (config.global.sync) {
    errors.push(
      new ConfigError(
        config.global.sync.location,
        "syncdaemon= needs IPVS: the nftables backend has no connection sync daemon (conntrack sync is out of ldirector's scope); remove syncdaemon=, or use --backend ipvsadm",
      ),
    );
  }
  for (const v of config.virtuals) {
    if (!nftSchedulers.has(v.scheduler)) {
      errors.push(
        new ConfigError(
          v.location,
          `scheduler=${v.scheduler} cannot run on the nftables backend (it has no connection counts); use rr, wrr or sh, or --backend ipvsadm`,
        ),
      );
    }
    for (const r of v.reals) {
      if (r.forward !== "masq") {
        errors.push(
          new ConfigError(
            r.location,
            `${r.forward} forwarding needs IPVS; the nftables backend does NAT only: write masq, or use --backend ipvsadm`,
          ),
        );
      }
    }
    if (v.fallback && v.fallback.forward !== "masq") {
      errors.push(
        new ConfigError(
          v.fallback.location,
          `fallback with ${v.fallback.forward} forwarding needs IPVS; the nftables backend does NAT only: write masq`,
        ),
      );
    }
  }
  return errors;
}

/** The check a backend puts on every config it is given; throws ConfigErrors. */
export function validatorFor(backend: string | undefined): ((config: Config) => void) | undefined {
  if (backend !== "nftables") return undefined;
  return (config) => {
    const errors = nftablesRefusals(config);
    if (errors.length) throw new ConfigErrors(errors);
  };
}
