import { describe, expect, it } from 'vitest';
import { fromBase64Url, generateToken, KeyRing, randomBytes, sha256, toBase64Url } from '../src/crypto.js';
import { csrfToken, verifyCsrfToken } from '../src/csrf.js';
import { createSessions, MemoryStore } from '../src/index.js';
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

  it('seals with Node crypto and Web Crypto alike: each opens what the other sealed, and nothing altered', async () => {
    const node = new KeyRing([SECRET, OLD_SECRET]);
    const web = new KeyRing([SECRET, OLD_SECRET], 'secrets', undefined);
    const aad = new TextEncoder().encode('__Host-coatcheck');
    const plain = new TextEncoder().encode(JSON.stringify({ id: 'x', data: 'é'.repeat(300) }));
    for (const [sealer, opener] of [
      [node, web],
      [web, node],
    ] as const) {
      const { keyId, sealed } = await sealer.seal(plain, aad);
      expect((await opener.unseal(keyId, sealed, aad))?.plain).toEqual(plain);
      const altered = sealed.slice();
      altered[20] = (altered[20] as number) ^ 1;
      expect(await opener.unseal(keyId, altered, aad)).toBeNull();
      expect(await opener.unseal(keyId, sealed.subarray(0, sealed.length - 1), aad)).toBeNull();
      expect(await opener.unseal(keyId, sealed, new TextEncoder().encode('other'))).toBeNull();
      expect(await opener.unseal('nokey', sealed, aad)).toBeNull();
    }
    // A seal under the old key opens, and says so (index 1), on both paths.
    const old = await new KeyRing([OLD_SECRET]).seal(plain, aad);
    expect((await web.unseal(old.keyId, old.sealed, aad))?.keyIndex).toBe(1);
    expect((await node.unseal(old.keyId, old.sealed, aad))?.keyIndex).toBe(1);
  });

  it('hands out random bytes from its pool once only, across refills', () => {
    // 4096-byte pools: 1,000 tokens and odd-sized requests in between span many refills.
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const token = generateToken();
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      seen.add(token);
      const odd = randomBytes(i % 50);
      expect(odd).toHaveLength(i % 50);
    }
    expect(seen.size).toBe(1000);
    const iv = randomBytes(12);
    expect(iv.some((byte) => byte !== 0)).toBe(true);
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

  it('decodes only the canonical base64url spelling, whatever the length', () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    for (let length = 0; length < 8; length++) {
      const bytes = new Uint8Array(length).fill(0xa5);
      const text = toBase64Url(bytes);
      expect(fromBase64Url(text)).toEqual(bytes);
      // Every other last character that decodes to the same bytes (2 or 4 unused bits) is refused.
      const last = alphabet.indexOf(text.at(-1) ?? 'A');
      const unused = [0, 0, 4, 2][text.length % 4] as number;
      for (let bits = 1; bits < 2 ** unused; bits++) {
        expect(fromBase64Url(text.slice(0, -1) + alphabet[last ^ bits])).toBeNull();
      }
    }
  });

  it('verifies a CSRF token under its canonical spelling only', async () => {
    const sessions = createSessions({ store: new MemoryStore(), secrets: [SECRET] });
    const session = await sessions.load({});
    const token = csrfToken(session);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const unused = [0, 0, 4, 2][token.length % 4] as number;
    expect(unused).toBeGreaterThan(0);
    expect(verifyCsrfToken(session, token)).toBe(true);
    const last = alphabet.indexOf(token.at(-1) as string);
    for (let bits = 1; bits < 2 ** unused; bits++) {
      expect(verifyCsrfToken(session, token.slice(0, -1) + alphabet[last ^ bits])).toBe(false);
    }
  });

  it('hashes identically on both paths', async () => {
    expect(await sha256('token', undefined)).toBe(await sha256('token'));
    expect(await sha256('token')).toBe('PEaenWxYddN6Q_NT1PiOYfz4EsZu7jRXRlpAsNpBU-A');
  });
});
