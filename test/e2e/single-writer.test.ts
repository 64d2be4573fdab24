import { childPeer, DaemonProcess } from '../helpers/daemon-process';

/** Two daemons on one ledger file would void each other's reservations: the second must not start. */
describe('one daemon per embedded ledger file (e2e)', () => {
  let first: DaemonProcess;
  let second: DaemonProcess | undefined;

  afterAll(async () => {
    await second?.kill();
    await first?.stop();
    await first?.dispose();
  });

  it('refuses to start a second daemon on a ledger file a running one writes', async () => {
    first = await DaemonProcess.start({ peers: [childPeer('alice', 'alice-secret')] });
    second = await DaemonProcess.start({
      dir: first.dir,
      peers: [childPeer('alice', 'alice-secret')],
      waitForReady: false,
    });
    const exit = await second.waitForExit(15_000);
    expect(exit.code).not.toBe(0);
    expect(second.logText()).toMatch(/ledger\.sqlite is in use by process \d+/);
    const ready = await fetch(`${first.httpUrl}/readyz`);
    expect(ready.status).toBe(200);
  });
});
