// The e2e reals' HTTP servers, in a worker thread of the test process. The test thread
// blocks on purpose (execFileSync of the ipvsadm stand-in to read the table); reals on
// that thread's event loop would then answer late and be checked down for it. Here
// they answer on their own loop, as real servers would.
import { createServer } from "node:http";
import { parentPort } from "node:worker_threads";

const servers = new Map();

parentPort.on("message", (msg) => {
  if (msg.cmd === "listen") {
    const server = createServer((_req, res) => {
      res.setHeader("connection", "close");
      res.end(`ok from ${msg.name}\n`);
    });
    server.once("error", (err) => parentPort.postMessage({ id: msg.id, error: String(err) }));
    server.listen(msg.port, "127.0.0.1", () => {
      const { port } = server.address();
      servers.set(port, server);
      parentPort.postMessage({ id: msg.id, port });
    });
  } else if (msg.cmd === "close") {
    const server = servers.get(msg.port);
    servers.delete(msg.port);
    if (!server) return parentPort.postMessage({ id: msg.id });
    server.close(() => parentPort.postMessage({ id: msg.id }));
    server.closeAllConnections();
  }
});
