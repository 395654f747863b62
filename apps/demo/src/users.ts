import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/** A user as the pages and the API show it. */
export interface User {
  id: string;
  username: string;
  name: string;
}

interface StoredUser extends User {
  /** `scrypt$N$r$p$salt$hash`, salt and hash base64url. */
  passwordHash: string;
}

// The seeded accounts: alice / wonderland and bob / builder. Only their scrypt hashes are kept.
const USERS: readonly StoredUser[] = [
  {
    id: 'alice',
    username: 'alice',
    name: 'Alice Liddell',
    passwordHash: 'scrypt$16384$8$1$jGhMxtNBKfGW_k4ATjWDEg$DN7xG9jrayc2plCfWcRgjrhFdhtqAdcot4MPY3l0T90',
  },
  {
    id: 'bob',
    username: 'bob',
    name: 'Bob the Builder',
    passwordHash: 'scrypt$16384$8$1$kQU7JB56vi53WxNdJ5t53g$RJlIDZ6kFaHYNMC0kz5E1jT4Jq4NqgkGhPHkiDEWisI',
  },
];

// Checked against when the username is unknown, so a wrong username takes as long as a wrong password.
const DECOY_HASH = `scrypt$16384$8$1$${randomBytes(16).toString('base64url')}$${randomBytes(32).toString('base64url')}`;

/** The user with this id, or `undefined`. */
export function findUser(id: string | null): User | undefined {
  const user = USERS.find((candidate) => candidate.id === id);
  return user && publicUser(user);
}

/** The user these credentials belong to, or `null`. */
export async function authenticate(username: unknown, password: unknown): Promise<User | null> {
  if (typeof username !== 'string' || typeof password !== 'string') return null;
  const user = USERS.find((candidate) => candidate.username === username.trim().toLowerCase());
  const matches = await verifyPassword(password, user?.passwordHash ?? DECOY_HASH);
  return user && matches ? publicUser(user) : null;
}

async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [, N, r, p, salt, hash] = stored.split('$');
  const expected = Buffer.from(hash as string, 'base64url');
  const actual = await new Promise<Buffer>((resolve, reject) =>
    scrypt(
      password.normalize('NFKC'),
      Buffer.from(salt as string, 'base64url'),
      expected.length,
      { N: Number(N), r: Number(r), p: Number(p) },
      (error, key) => (error ? reject(error) : resolve(key)),
    ),
  );
  return timingSafeEqual(actual, expected);
}

function publicUser({ id, username, name }: StoredUser): User {
  return { id, username, name };
}
