import { decodePrepare, encodeIldcpResponse, ILDCP_DESTINATION } from '@ilpd/codec';
import { fetchAddressFromParent } from '../../src/ildcp/ildcp-client';
import { FakePeerLink, makeFulfill, makeReject } from '../packet/factories';

describe('fetchAddressFromParent', () => {
  it('asks the parent over peer.config and returns its answer', async () => {
    const link = new FakePeerLink().connect('up', async (ilp) => {
      expect(decodePrepare(ilp).destination).toBe(ILDCP_DESTINATION);
      return encodeIldcpResponse({ clientAddress: 'test.up.me', assetCode: 'USD', assetScale: 9 });
    });
    await expect(fetchAddressFromParent(link, 'up', 1000)).resolves.toEqual({
      clientAddress: 'test.up.me',
      assetCode: 'USD',
      assetScale: 9,
    });
  });

  it('waits for the parent session to come up', async () => {
    const link = new FakePeerLink();
    setTimeout(
      () =>
        link.connect('up', async () =>
          encodeIldcpResponse({ clientAddress: 'test.up.me', assetCode: 'USD', assetScale: 2 }),
        ),
      60,
    );
    await expect(fetchAddressFromParent(link, 'up', 2000)).resolves.toMatchObject({
      clientAddress: 'test.up.me',
    });
  });

  it('fails with ILPD_ERR_ILDCP when the parent never connects', async () => {
    await expect(fetchAddressFromParent(new FakePeerLink(), 'up', 80)).rejects.toMatchObject({
      code: 'ILPD_ERR_ILDCP',
      message: expect.stringContaining('did not connect'),
    });
  });

  it('fails with ILPD_ERR_ILDCP naming the reject when the parent refuses', async () => {
    const link = new FakePeerLink().connect('up', async () => makeReject('F00', 'test.up', 'not a child'));
    await expect(fetchAddressFromParent(link, 'up', 1000)).rejects.toMatchObject({
      code: 'ILPD_ERR_ILDCP',
      message: expect.stringContaining('F00 not a child'),
    });
  });

  it('fails with ILPD_ERR_ILDCP on a Fulfill that is not an ILDCP answer', async () => {
    const link = new FakePeerLink().connect('up', async () => makeFulfill(Buffer.alloc(32, 1)));
    await expect(fetchAddressFromParent(link, 'up', 1000)).rejects.toMatchObject({ code: 'ILPD_ERR_ILDCP' });
  });
});
