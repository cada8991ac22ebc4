// The public face of config/: read an ldirectord.cf into a Config, summarize it, and
// turn it into the printable model.

export { DIRECTIVES, type DirectiveSpec, type Scope, type ValueType } from "./directives.js";
export { ConfigError, ConfigErrors } from "./errors.js";
export { defaultConfigPaths, type LoadOptions, loadConfig, parseConfigText } from "./load.js";
export { REDACTED, toPublicModel } from "./redact.js";
export {
  type NameResolver,
  parseServices,
  readServices,
  type ServicesDb,
  systemResolver,
} from "./resolve.js";
export { summarize } from "./summary.js";
export type * from "./types.js";
