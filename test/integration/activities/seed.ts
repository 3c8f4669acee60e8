import type { PostgresContainer } from './helpers';
import { query } from './helpers';

/**
 * A source database with what makes restores hard: a role that the target server lacks owning a table and
 * holding grants, quoted names, text with tabs, newlines and backslashes, an empty table, foreign keys, indexes.
 */
export async function seedShop(pg: PostgresContainer, customers = 5_000): Promise<void> {
  await query(
    pg,
    `
    CREATE ROLE reporting NOLOGIN;
    CREATE ROLE "Audit Team" NOLOGIN;
    CREATE TABLE customers (id serial PRIMARY KEY, email text UNIQUE NOT NULL, note text, created_at timestamptz DEFAULT now());
    CREATE TABLE transactions (id bigserial PRIMARY KEY, customer_id int REFERENCES customers(id), amount_minor bigint NOT NULL);
    CREATE TABLE ledger_entries (id bigserial PRIMARY KEY, transaction_id bigint REFERENCES transactions(id), amount_minor bigint NOT NULL);
    CREATE INDEX ON ledger_entries (transaction_id);
    CREATE TABLE "Order Items" (id int PRIMARY KEY, label text);
    CREATE TABLE empty_table (id int);
    CREATE TABLE reports (id int PRIMARY KEY, body text);
    ALTER TABLE reports OWNER TO reporting;
    GRANT SELECT ON customers TO "Audit Team";
    INSERT INTO customers (email, note)
      SELECT 'c' || g || '@example.com', CASE WHEN g % 7 = 0 THEN E'tab\\there\\nnewline \\\\ backslash' ELSE 'plain' END
        FROM generate_series(1, ${customers}) g;
    INSERT INTO transactions (customer_id, amount_minor) SELECT (g % ${customers}) + 1, g * 10 FROM generate_series(1, ${customers * 2}) g;
    INSERT INTO ledger_entries (transaction_id, amount_minor)
      SELECT t.id, s * t.amount_minor FROM transactions t CROSS JOIN (VALUES (1), (-1)) v(s);
    INSERT INTO "Order Items" VALUES (1, 'one'), (2, E'two\\\\.'), (3, '\\.');
    INSERT INTO reports VALUES (1, 'quarterly');
  `,
  );
}

export const SHOP_VERIFICATION = [
  { name: 'shop has customers', countSql: 'SELECT count(*) FROM public.customers', atLeast: 1 },
  {
    name: 'ledger entries of each transaction sum to zero',
    violationsSql:
      'SELECT transaction_id, sum(amount_minor) FROM public.ledger_entries GROUP BY transaction_id HAVING sum(amount_minor) <> 0 LIMIT 10',
  },
];
