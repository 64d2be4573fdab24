import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderConfigReference } from '../../src/config/reference-doc';

describe('config reference doc', () => {
  const rendered = renderConfigReference();

  it('is committed exactly as generated from the schema (run `npm run docs:config`)', () => {
    const committed = readFileSync(join(__dirname, '../../../../docs/operators/config-reference.md'), 'utf8');
    expect(committed).toBe(rendered);
  });

  it('documents every key with its type, default and env variable', () => {
    expect(rendered).toMatch(/\| `http\.port` +\| integer, 0–65535 +\| `7780` +\| `ILPD_HTTP__PORT` +\|/);
    expect(rendered).toMatch(/\| `address` +\| string +\| unset +\| `ILPD_ADDRESS` +\|/);
    expect(rendered).toMatch(/\| `peers\[\]\.btp\.authToken` .*\| `ILPD_PEERS__<ID>__BTP__AUTH_TOKEN` +\|/);
    expect(rendered).toMatch(
      /\| `ledger\.batchSize` +\| integer, 1–8190 +\| `100` +\| `ILPD_LEDGER__BATCH_SIZE` +\|/,
    );
    expect(rendered).toMatch(/\| `fx\.rates` .*\| `ILPD_FX__RATES__<ASSET>` +\|/);
    expect(rendered).toMatch(/\| `routes\[\]\.peer` .*\| `ILPD_ROUTES__<INDEX>__PEER` +\|/);
  });
});
