import { embeddedBackend, simulatedTigerbeetleBackend, tigerbeetleBackend } from './support/backends';
import { describeLedgerConformance } from './support/conformance';

describeLedgerConformance(embeddedBackend);
describeLedgerConformance(simulatedTigerbeetleBackend);

const tigerbeetle = tigerbeetleBackend();
if (tigerbeetle !== undefined) {
  describeLedgerConformance(tigerbeetle);
} else {
  // Not registered at all (rather than skipped or passing empty): this run says plainly what it left out.
  console.log(
    'ledger conformance: real tigerbeetle not run; set ILPD_TIGERBEETLE_ADDRESSES to run it on a cluster',
  );
}
