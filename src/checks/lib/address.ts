// ldirectord writes IPv6 addresses with brackets wherever an address meets a port or a
// command line (URLs, Host headers, external check arguments).

export function bracketed(address: string): string {
  return address.includes(":") ? `[${address}]` : address;
}
