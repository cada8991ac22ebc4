// A hung real: accepts TCP connections (or takes UDP datagrams) and never answers.
import dgram from "node:dgram";
import net from "node:net";

export interface SilentPeer {
  port: number;
  close(): Promise<void>;
}

export function silentTcpServer(): Promise<SilentPeer> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((sock) => {
    sockets.add(sock);
    sock.on("error", () => {});
    sock.on("close", () => sockets.delete(sock));
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      resolve({
        port: (server.address() as net.AddressInfo).port,
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}

/** Counts the datagrams it swallows, so retransmissions can be seen. */
export function silentUdpSocket(): Promise<SilentPeer & { received: () => number }> {
  const sock = dgram.createSocket("udp4");
  let received = 0;
  sock.on("message", () => {
    received += 1;
  });
  return new Promise((resolve, reject) => {
    sock.once("error", reject);
    sock.bind(0, "127.0.0.1", () => {
      resolve({
        port: sock.address().port,
        received: () => received,
        close: () => new Promise<void>((done) => sock.close(() => done())),
      });
    });
  });
}
