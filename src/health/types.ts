/** What the checks say of one real, as the director sees it. */
export type Health = "unknown" | "up" | "down";
