import type { GlobalSettings } from "../config/types.js";

type SorryAddress = NonNullable<GlobalSettings["sorryServer"]>;

/** The running built-in sorry server, with what it was started for. */
export interface SorryHandle {
  want: SorryAddress;
  page: string | undefined;
  close(): Promise<void>;
}

/** Whether a reload can keep the running sorry server as it is. */
export function sameSorry(
  h: SorryHandle | undefined,
  want: SorryAddress | undefined,
  page: string | undefined,
) {
  if (!h || !want) return !h && !want;
  return h.want.address === want.address && h.want.port === want.port && h.page === page;
}
