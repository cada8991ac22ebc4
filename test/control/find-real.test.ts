import { describe, expect, it } from "vitest";
import { findReal } from "../../src/control/find-real.js";
import { Refused } from "../../src/control/refused.js";
import { fwmVirtual, real, virtual } from "../director/build.js";

const web = virtual("tcp", "10.0.0.1", 80, {
  reals: [real("10.0.0.2", 80), real("10.0.0.2", 8080), real("10.0.0.3", 80)],
});
const dns = virtual("udp", "10.0.0.1", 53, { reals: [real("10.0.0.5", 53)] });
const dnsTcp = virtual("tcp", "10.0.0.1", 53, { reals: [real("10.0.0.5", 53)] });
const v6 = virtual("tcp", "2001:db8::1", 443, { reals: [real("2001:db8::2", 443)] });
const mark = fwmVirtual(7, "inet", { reals: [real("10.0.0.9", 0)] });
const all = [web, dns, dnsTcp, v6, mark];

function refusal(f: () => unknown): { status: string; message: string } {
  try {
    f();
  } catch (err) {
    if (err instanceof Refused) return { status: err.reason, message: err.message };
    throw err;
  }
  throw new Error("not refused");
}

describe("findReal", () => {
  it("takes the ids that status prints", () => {
    expect(findReal(all, "tcp:10.0.0.1:80", "10.0.0.2:8080").id).toBe("tcp:10.0.0.1:80/10.0.0.2:8080");
    expect(findReal(all, "tcp:[2001:db8::1]:443", "[2001:db8::2]:443").id).toBe(
      "tcp:[2001:db8::1]:443/[2001:db8::2]:443",
    );
  });

  it("takes short forms that name one thing", () => {
    expect(findReal(all, "10.0.0.1:80", "10.0.0.3").id).toBe("tcp:10.0.0.1:80/10.0.0.3:80");
    expect(findReal(all, "7", "10.0.0.9").v).toBe(mark);
    expect(findReal(all, "[2001:db8::1]:443", "[2001:db8::2]").r.address).toBe("2001:db8::2");
  });

  it("refuses an ambiguous name as a conflict and says what to add", () => {
    expect(refusal(() => findReal(all, "10.0.0.1:53", "10.0.0.5"))).toEqual({
      status: "conflict",
      message: expect.stringMatching(
        /several virtual services \(udp:10.0.0.1:53, tcp:10.0.0.1:53\); give the protocol/,
      ),
    });
    expect(refusal(() => findReal(all, "tcp:10.0.0.1:80", "10.0.0.2")).message).toMatch(/give the port/);
  });

  it("refuses an unknown name as not found", () => {
    expect(refusal(() => findReal(all, "tcp:10.9.9.9:80", "10.0.0.2")).status).toBe("not-found");
    expect(refusal(() => findReal(all, "tcp:10.0.0.1:80", "10.0.0.4:80")).message).toBe(
      'no real "10.0.0.4:80" in tcp:10.0.0.1:80',
    );
  });

  it("treats a real listed twice as one", () => {
    const twice = virtual("tcp", "10.0.0.1", 81, {
      reals: [real("10.0.0.2", 81), real("10.0.0.2", 81, "masq", 3)],
    });
    expect(findReal([twice], "tcp:10.0.0.1:81", "10.0.0.2").r.weight).toBe(1);
  });
});
