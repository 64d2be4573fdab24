import { loadConfig, parseConfig } from '../src/config/load';
test('x', () => {
  const c = loadConfig('/work/main/config/ilpd.yaml', {});
  console.log(JSON.stringify(c, (k, v) => (typeof v === 'bigint' ? v.toString() : v), 1));
  try {
    parseConfig(
      `
address: test.x
htp: {}
http: { port: "7780" }
peers:
  - id: a
    relation: child
    btp: { role: server, authToken: 5 }
    assetCode: USD
    assetScale: 9
    maxPacketAmount: -5
  - { id: a, relation: pear, btp: { role: client }, assetCode: EUR, assetScale: 2 }
`,
      { ILPD_LEDGER__BATCH_SIZE: 'abc', ILPD_PEERS__A__BTP__AUTH_TOKEN: '' },
      '/tmp',
    );
  } catch (e) {
    console.log((e as Error).message);
  }
});
