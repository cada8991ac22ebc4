import { describe, expect, it } from "vitest";
import { connKey, parseConntrack } from "../../src/ipvs/conntrack.js";

// Lines as conntrack v1.4.7 prints them (`conntrack -L`).
const sample = [
  "tcp      6 431999 ESTABLISHED src=10.201.0.2 dst=10.201.0.100 sport=40000 dport=80 src=10.202.0.11 dst=10.201.0.2 sport=8080 dport=40000 [ASSURED] mark=0 use=1",
  "tcp      6 431998 ESTABLISHED src=10.201.0.3 dst=10.201.0.100 sport=40001 dport=80 src=10.202.0.11 dst=10.201.0.3 sport=8080 dport=40001 [ASSURED] mark=0 use=1",
  "tcp      6 119 TIME_WAIT src=10.201.0.2 dst=10.201.0.100 sport=40002 dport=80 src=10.202.0.12 dst=10.201.0.2 sport=8080 dport=40002 [ASSURED] mark=0 use=1",
  "udp      17 29 src=10.201.0.2 dst=10.201.0.100 sport=5353 dport=53 src=10.202.0.13 dst=10.201.0.2 sport=53 dport=5353 mark=0 use=1",
  // Not translated (the director's own health check): no virtual service involved.
  "tcp      6 117 TIME_WAIT src=10.202.0.1 dst=10.202.0.11 sport=50000 dport=8080 src=10.202.0.11 dst=10.202.0.1 sport=8080 dport=50000 [ASSURED] mark=0 use=1",
  "conntrack v1.4.7 (conntrack-tools): 5 flow entries have been shown.",
].join("\n");

describe("parseConntrack", () => {
  it("counts established TCP as active and everything else as inactive, per virtual and real", () => {
    const counts = parseConntrack(sample);
    expect(counts.get(connKey("tcp", "10.201.0.100", 80, "10.202.0.11", 8080))).toEqual({
      active: 2,
      inactive: 0,
    });
    expect(counts.get(connKey("tcp", "10.201.0.100", 80, "10.202.0.12", 8080))).toEqual({
      active: 0,
      inactive: 1,
    });
    expect(counts.get(connKey("udp", "10.201.0.100", 53, "10.202.0.13", 53))).toEqual({
      active: 0,
      inactive: 1,
    });
    expect(counts.size).toBe(3);
  });

  it("ignores what it cannot read", () => {
    expect(parseConntrack("garbage\n\ntcp 6 1 ESTABLISHED src=1.2.3.4").size).toBe(0);
  });
});
