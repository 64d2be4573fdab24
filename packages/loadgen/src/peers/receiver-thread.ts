import { parentPort, workerData } from 'node:worker_threads';
import { LoadReceiver } from './load-receiver';
import { ReceiverCounters } from './receiver-counters';
import type {
  ReceiverThreadCommand,
  ReceiverThreadData,
  ReceiverThreadEvent,
} from './receiver-thread-protocol';

/**
 * Worker-thread entry of LoadReceiverThread: runs a LoadReceiver on this thread's own event loop and heap,
 * so answering Prepares (and collecting its garbage) never delays the sender's timer on the main thread.
 */
const port = parentPort;
if (port === null) throw new Error('receiver-thread runs only as a worker thread (see LoadReceiverThread)');
const data = workerData as ReceiverThreadData;
const post = (event: ReceiverThreadEvent): void => port.postMessage(event);

const receiver = new LoadReceiver({
  url: data.url,
  username: data.username,
  token: data.token,
  secret: Buffer.from(data.secret.buffer, data.secret.byteOffset, data.secret.byteLength),
  address: data.address,
  rejectCode: data.rejectCode,
  counters: new ReceiverCounters(data.counters),
  onClose: (code, reason) => post({ kind: 'closed', code, reason }),
});

port.on('message', (command: ReceiverThreadCommand) => {
  if (command.kind !== 'stop') return;
  void receiver.stop().then(() => {
    post({ kind: 'stopped' });
    // Nothing else holds the thread's event loop open: the thread ends by itself.
    port.close();
  });
});

receiver.start().then(
  () => post({ kind: 'started', address: receiver.address }),
  (err: unknown) => {
    const e = err as { code?: unknown; message?: unknown };
    post({
      kind: 'failed',
      ...(typeof e.code === 'string' ? { code: e.code } : {}),
      message: typeof e.message === 'string' ? e.message : String(err),
    });
  },
);
