import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Starts `server` on host:port; a bind failure (port in use, bad host) rejects instead of throwing later. */
export function listenOn(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve(server.address() as AddressInfo);
    });
  });
}

/** Stops accepting connections; idle keep-alive connections are closed, busy ones finish. */
export function stopAcceptingOn(server: Server): void {
  if (!server.listening) return;
  server.close();
  server.closeIdleConnections();
}
