import pino from 'pino';
import { AdminApiServer } from '../../src/http/admin-api';
import { DaemonError } from '../../src/errors';
import { ConfigError } from '../../src/config/load';

describe('AdminApiServer', () => {
  let api: AdminApiServer;
  let base: string;
  let token: string;
  const calls: unknown[] = [];

  beforeEach(async () => {
    token = 'first-token-0123456789';
    calls.length = 0;
    api = new AdminApiServer({
      admin: { host: '127.0.0.1', port: 0 },
      token: () => token,
      logger: pino({ level: 'silent' }),
    });
    api
      .route('POST', '/admin/things', async (call) => {
        calls.push(call);
        return { status: 201, body: { made: call.body } };
      })
      .route('PATCH', '/admin/things/:id', async (call) => {
        if (call.params.id === 'gone') throw new DaemonError('ILPD_ERR_ADMIN_NOT_FOUND', 'no thing gone');
        if (call.params.id === 'bad') throw new ConfigError('in x.yaml', ['peers[0].id: required']);
        if (call.params.id === 'boom') throw new Error('secret internals');
        return { status: 200, body: { id: call.params.id } };
      });
    base = `http://127.0.0.1:${(await api.listen()).port}`;
  });

  afterEach(() => {
    api.stopAccepting();
    api.closeAll();
  });

  function send(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    return fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }

  it('runs a route with its JSON body and names the caller (declared name and address)', async () => {
    const res = await send('POST', '/admin/things', { a: 1 }, { 'x-ilpd-actor': 'ops@box' });
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ made: { a: 1 } });
    expect(calls).toEqual([{ params: {}, body: { a: 1 }, actor: 'ops@box from 127.0.0.1' }]);
  });

  it('refuses requests without the bearer token (401, WWW-Authenticate) before any route runs', async () => {
    const res = await fetch(`${base}/admin/things`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(await res.json()).toMatchObject({ error: { code: 'ILPD_ERR_ADMIN_UNAUTHORIZED' } });
    expect(
      (await send('POST', '/admin/things', {}, { authorization: 'Bearer wrong-token-000000' })).status,
    ).toBe(401);
    expect(calls).toEqual([]);
  });

  it('checks the token current at each request (a reload can rotate it)', async () => {
    const old = token;
    token = 'second-token-987654321';
    expect((await send('POST', '/admin/things', {}, { authorization: `Bearer ${old}` })).status).toBe(401);
    expect((await send('POST', '/admin/things', {})).status).toBe(201);
  });

  it('maps daemon error codes to HTTP statuses, with the problems; hides unexpected errors', async () => {
    const notFound = await send('PATCH', '/admin/things/gone', {});
    expect(notFound.status).toBe(404);
    expect(await notFound.json()).toEqual({
      error: { code: 'ILPD_ERR_ADMIN_NOT_FOUND', message: 'no thing gone' },
    });
    const invalid = await send('PATCH', '/admin/things/bad', {});
    expect(invalid.status).toBe(400);
    expect(await invalid.json()).toMatchObject({
      error: { code: 'ILPD_ERR_CONFIG', problems: ['peers[0].id: required'] },
    });
    const boom = await send('PATCH', '/admin/things/boom', {});
    expect(boom.status).toBe(500);
    expect(await boom.json()).toEqual({ error: { code: 'ILPD_ERR_INTERNAL', message: 'internal error' } });
  });

  it('answers unknown routes 404 with the routes it has, and bad bodies 400', async () => {
    const res = await send('GET', '/admin/things');
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ routes: ['POST /admin/things', 'PATCH /admin/things/:id'] });
    const notJson = await fetch(`${base}/admin/things`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: '{nope',
    });
    expect(notJson.status).toBe(400);
    const wrongType = await send('POST', '/admin/things', 'x', { 'content-type': 'text/plain' });
    expect(wrongType.status).toBe(400);
    const huge = await send('POST', '/admin/things', { blob: 'x'.repeat(70_000) });
    expect(huge.status).toBe(400);
  });
});
