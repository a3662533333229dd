/**
 * The admin API answers only requests from loopback: the address decision itself, and a request
 * whose socket reports a non-loopback peer getting 403 before its token is even looked at.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { handleAdmin, isLoopback } from '../../gateway/admin-api';
import type { GatewayContext } from '../../gateway/context';

describe('inference gateway: admin API on loopback only', () => {
  it('takes IPv4 127.0.0.0/8, IPv6 ::1 and IPv4-mapped 127.x as loopback', () => {
    for (const address of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1', '::FFFF:127.0.0.2'])
      assert.equal(isLoopback(address), true, address);
  });

  it('refuses every other address, and a socket without one', () => {
    for (const address of [
      '10.0.0.5',
      '192.168.1.10',
      '0.0.0.0',
      '::ffff:10.0.0.5',
      'fd00::2',
      '::',
      '128.0.0.1',
      '127.0.0.1.example',
      '',
      undefined,
    ])
      assert.equal(isLoopback(address), false, String(address));
  });

  it('answers 403 to a request from a non-loopback peer, even with the right token', async () => {
    const ctx = { adminToken: 'secret-token' } as GatewayContext;
    let peer: string | undefined;
    const server = http.createServer((req, res) => {
      // the admin server listens on 127.0.0.1 only, so the peer a remote client would have is simulated
      if (peer !== undefined) Object.defineProperty(req.socket, 'remoteAddress', { value: peer, configurable: true });
      void handleAdmin(ctx, req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/admin/endpoints`;
    const get = (token: string) => fetch(url, { headers: { authorization: `Bearer ${token}`, connection: 'close' } });
    try {
      for (const address of ['10.0.0.5', '::ffff:10.0.0.5']) {
        peer = address;
        const refused = await get('secret-token');
        assert.equal(refused.status, 403, address);
        assert.match(JSON.stringify(await refused.json()), /the admin API answers only on loopback/);
      }
      // from loopback the token decides: a wrong one is 401, not 403
      peer = '::ffff:127.0.0.1';
      const wrongToken = await get('other-token');
      assert.equal(wrongToken.status, 401);
      await wrongToken.body?.cancel();
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('takes any peer when it listens beyond loopback (TLS or a NetworkPolicy), the token still required', async () => {
    const ctx = {
      adminToken: 'secret-token',
      adminBeyondLoopback: true,
      state: { refresh: () => Promise.resolve(), list: () => [] },
    } as unknown as GatewayContext;
    const server = http.createServer((req, res) => {
      Object.defineProperty(req.socket, 'remoteAddress', { value: '10.0.0.5', configurable: true });
      void handleAdmin(ctx, req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/admin/endpoints`;
    const get = (token: string) => fetch(url, { headers: { authorization: `Bearer ${token}`, connection: 'close' } });
    try {
      const wrongToken = await get('other-token');
      assert.equal(wrongToken.status, 401);
      await wrongToken.body?.cancel();
      const allowed = await get('secret-token');
      assert.equal(allowed.status, 200);
      assert.deepEqual(await allowed.json(), { endpoints: [] });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
