import { describe, expect, it } from 'vitest';
import { KeyRing, sha256 } from '../src/crypto.js';
import { OLD_SECRET, SECRET } from './helpers.js';

describe('crypto on Node and on Web Crypto alone', () => {
  it('signs identically with Node crypto and Web Crypto, so cookies move between runtimes', async () => {
    const node = new KeyRing([SECRET, OLD_SECRET]);
    const web = new KeyRing([SECRET, OLD_SECRET], 'secrets', undefined);
    const signature = await node.sign('token');
    expect(await web.sign('token')).toBe(signature);
    expect(await web.verify('token', signature)).toBe(0);
    expect(
      await node.verify('token', await new KeyRing([OLD_SECRET], 'secrets', undefined).sign('token')),
    ).toBe(1);
    expect(await web.verify('token', await new KeyRing([OLD_SECRET]).sign('token'))).toBe(1);
    expect(await node.verify('other', signature)).toBe(-1);
    expect(await web.verify('other', signature)).toBe(-1);
  });

  it('accepts only the canonical spelling of a signature', async () => {
    const ring = new KeyRing([SECRET]);
    const signature = await ring.sign('token');
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = alphabet.indexOf(signature.at(-1) as string);
    // The last character carries 4 payload bits and 2 unused ones: flip the unused ones.
    for (const variant of [last ^ 1, last ^ 2, last ^ 3]) {
      expect(await ring.verify('token', signature.slice(0, -1) + alphabet[variant])).toBe(-1);
    }
    expect(
      await new KeyRing([SECRET], 'secrets', undefined).verify(
        'token',
        signature.slice(0, -1) + alphabet[last ^ 1],
      ),
    ).toBe(-1);
  });

  it('hashes identically on both paths', async () => {
    expect(await sha256('token', undefined)).toBe(await sha256('token'));
    expect(await sha256('token')).toBe('PEaenWxYddN6Q_NT1PiOYfz4EsZu7jRXRlpAsNpBU-A');
  });
});
