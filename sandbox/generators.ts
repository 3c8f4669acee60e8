/**
 * Server-side data generation (generate_series), one generator per sandbox service. Every number put into
 * SQL here is an integer computed by us, never input text.
 */
export interface ServiceGenerator {
  schemaFile: string;
  /** A query answering true when the service's main table already has rows. */
  hasDataSql: string;
  /** Appends rows; `scale` 1 is a few seconds' worth. */
  generateSql(scale: number): string;
  /** A little new business, so the next backup differs from the previous one. */
  activitySql(): string;
}

const int = (value: number) => Math.max(1, Math.round(value));

const pick = (values: string[]) =>
  `(ARRAY[${values.map((v) => `'${v}'`).join(',')}])[1 + floor(random() * ${values.length})::int]`;

const FIRST_NAMES = ['Amina', 'Brian', 'Chloe', 'David', 'Esther', 'Felix', 'Grace', 'Hassan', 'Irene', 'Joseph'];
const LAST_NAMES = ['Okello', 'Mwangi', 'Nakato', 'Otieno', 'Achieng', 'Kamau', 'Mugisha', 'Wanjiru', 'Kiprop', 'Auma'];
const USER_AGENTS = [
  'Mozilla/5.0 (Linux; Android 13; SM-A145F) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/121.0 Safari/537.36',
  'OparetaApp/4.12.0 (Android 12; TECNO KG5)',
  'OparetaApp/4.12.0 (iOS 16.6; iPhone12,1)',
];

/** Argus: per scale unit 2,000 users, each with 3 sessions, 2 tokens per session and an API token for 1 in 10. */
function argusUsersSql(users: number): string {
  return `
CREATE TEMP TABLE new_users ON COMMIT DROP AS SELECT coalesce(max(id), 0) AS after_id FROM users;
INSERT INTO users (email, full_name, phone, country, status, created_at, updated_at)
SELECT 'user' || (b.after_id + g.n) || '.' || substr(md5(random()::text), 1, 6) || '@example.com',
       ${pick(FIRST_NAMES)} || ' ' || ${pick(LAST_NAMES)},
       '+2567' || lpad(floor(random() * 100000000)::bigint::text, 8, '0'),
       ${pick(['UG', 'UG', 'KE', 'TZ', 'RW'])},
       CASE WHEN random() < 0.95 THEN 'active' WHEN random() < 0.5 THEN 'suspended' ELSE 'closed' END,
       g.ts, g.ts + random() * interval '30 days'
FROM new_users b,
     (SELECT n, now() - random() * interval '730 days' AS ts FROM generate_series(1, ${users}) AS n) g;
INSERT INTO sessions (user_id, ip_address, user_agent, created_at, expires_at, revoked_at)
SELECT u.id, t.ip, t.agent, t.created, t.created + interval '30 days',
       CASE WHEN t.revoke THEN t.created + random() * interval '10 days' END
FROM users u CROSS JOIN generate_series(1, 3) AS s(k),
     LATERAL (SELECT u.created_at + random() * (now() - u.created_at) AS created,
                     ('41.' || floor(random() * 256)::int || '.' || floor(random() * 256)::int || '.' ||
                       (1 + floor(random() * 254)::int) || '/32')::inet AS ip,
                     ${pick(USER_AGENTS)} AS agent,
                     random() < 0.2 + 0 * s.k AS revoke) t
WHERE u.id > (SELECT after_id FROM new_users);
INSERT INTO tokens (user_id, session_id, kind, token_hash, scopes, created_at, expires_at)
SELECT s.user_id, s.id, k.kind, encode(sha256(convert_to(s.id::text || k.kind || random()::text, 'UTF8')), 'hex'),
       k.scopes, s.created_at, s.created_at + k.ttl
FROM sessions s
CROSS JOIN (VALUES ('access', '{profile,payments:read}'::text[], interval '15 minutes'),
                   ('refresh', '{offline}'::text[], interval '30 days')) AS k(kind, scopes, ttl)
WHERE s.user_id > (SELECT after_id FROM new_users);
INSERT INTO tokens (user_id, kind, token_hash, scopes, created_at, expires_at)
SELECT u.id, 'api', encode(sha256(convert_to(u.id::text || 'api' || random()::text, 'UTF8')), 'hex'),
       '{payments:read,payments:write}', u.created_at, u.created_at + interval '365 days'
FROM users u WHERE u.id > (SELECT after_id FROM new_users) AND u.id % 10 = 0;
`;
}

export const argusGenerator: ServiceGenerator = {
  schemaFile: 'argus-schema.sql',
  hasDataSql: 'SELECT EXISTS (SELECT 1 FROM users)',
  generateSql: (scale) => argusUsersSql(int(2000 * scale)),
  activitySql: () =>
    argusUsersSql(50) +
    `UPDATE sessions SET revoked_at = now()
     WHERE id IN (SELECT id FROM sessions WHERE revoked_at IS NULL ORDER BY created_at DESC LIMIT 20);
     UPDATE users SET updated_at = now(), status = 'suspended' WHERE id = (SELECT max(id) FROM users);`,
};

/** Customer and merchant accounts are created once, in one statement, so their ids are contiguous. */
const HERMES_ACCOUNTS_SQL = `
INSERT INTO accounts (account_number, owner_name, kind, currency, opened_at)
SELECT * FROM (VALUES ('FEES-0001', 'Opareta fees', 'fees', 'UGX', now() - interval '3 years'),
                      ('SETTLE-0001', 'Opareta settlement', 'settlement', 'UGX', now() - interval '3 years')) v
WHERE NOT EXISTS (SELECT 1 FROM accounts);
INSERT INTO accounts (account_number, owner_name, kind, currency, opened_at)
SELECT 'AC' || lpad(n::text, 10, '0'), ${pick(FIRST_NAMES)} || ' ' || ${pick(LAST_NAMES)},
       CASE WHEN n % 10 = 0 THEN 'merchant' ELSE 'customer' END, 'UGX', now() - random() * interval '900 days'
FROM generate_series(1, 5000) AS n
WHERE NOT EXISTS (SELECT 1 FROM accounts WHERE kind IN ('customer', 'merchant'));
`;

/** Hermes: per scale unit 10,000 transactions, each with 2 ledger entries (3 for a payment's fee), summing to zero. */
function hermesTransactionsSql(count: number): string {
  return `${HERMES_ACCOUNTS_SQL}
CREATE TEMP TABLE new_transactions ON COMMIT DROP AS SELECT coalesce(max(id), 0) AS after_id FROM transactions;
INSERT INTO transactions (reference, kind, currency, description, created_at, posted_at)
SELECT 'TX' || to_char(g.ts, 'YYYYMMDD') || '-' || (b.after_id + g.n), g.kind, 'UGX',
       CASE g.kind WHEN 'payment' THEN 'Payment to merchant' WHEN 'refund' THEN 'Refund of payment'
                   WHEN 'payout' THEN 'Payout to bank' ELSE 'Transfer between customers' END,
       g.ts, g.ts + random() * interval '5 seconds'
FROM new_transactions b,
     (SELECT n, now() - random() * interval '365 days' AS ts, ${pick(['transfer', 'payment', 'payment', 'refund', 'payout'])} AS kind
      FROM generate_series(1, ${count}) AS n) g;
WITH pool AS (
  SELECT min(id) AS lo, count(*) AS size FROM accounts WHERE kind IN ('customer', 'merchant')
), fees AS (
  SELECT id FROM accounts WHERE kind = 'fees' ORDER BY id LIMIT 1
), moves AS (
  SELECT t.id, t.created_at, t.kind,
         p.lo + floor(random() * p.size)::bigint AS source_offset,
         1 + floor(random() * (p.size - 1))::bigint AS hop,
         (100 + floor(random() * 5000000))::bigint AS amount
  FROM transactions t, pool p
  WHERE t.id > (SELECT after_id FROM new_transactions)
)
INSERT INTO ledger_entries (transaction_id, account_id, amount_minor, currency, created_at)
SELECT m.id, e.account_id, e.amount_minor, 'UGX', m.created_at
FROM moves m, pool p, fees f,
     LATERAL (SELECT CASE WHEN m.kind = 'payment' THEN greatest(1, m.amount / 100) ELSE 0 END AS fee) x,
     LATERAL (VALUES (m.source_offset, -m.amount),
                     (p.lo + (m.source_offset - p.lo + m.hop) % p.size, m.amount - x.fee),
                     (f.id, x.fee)) AS e(account_id, amount_minor)
WHERE e.amount_minor <> 0;
`;
}

export const hermesGenerator: ServiceGenerator = {
  schemaFile: 'hermes-schema.sql',
  hasDataSql: 'SELECT EXISTS (SELECT 1 FROM transactions)',
  generateSql: (scale) => hermesTransactionsSql(int(10000 * scale)),
  activitySql: () => hermesTransactionsSql(200),
};

export const generators: Record<string, ServiceGenerator> = { argus: argusGenerator, hermes: hermesGenerator };
