// What the host's test file needs to know of the guest's scenarios: their names.
export declare const scenarios: {
  name: string;
  flat?: boolean;
  reals?: number;
  limitMs?: number;
  alone?: boolean;
}[];
