import * as net from "node:net";
import type { AddressInfo } from "node:net";

/** A TCP port on 127.0.0.1 that was free a moment ago, for a server started on loopback. */
export async function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = net.createServer();
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => {
            const port = (server.address() as AddressInfo).port;
            server.close(() => resolve(port));
        });
    });
}
