-- Hermes: payments ledger. Every transaction posts double-entry ledger entries that sum to zero.
CREATE TABLE IF NOT EXISTS accounts (
  id bigserial PRIMARY KEY,
  account_number text NOT NULL UNIQUE,
  owner_name text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('customer', 'merchant', 'fees', 'settlement')),
  currency char(3) NOT NULL,
  status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'frozen', 'closed')),
  opened_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS transactions (
  id bigserial PRIMARY KEY,
  reference text NOT NULL UNIQUE,
  kind text NOT NULL CHECK (kind IN ('transfer', 'payment', 'refund', 'payout')),
  currency char(3) NOT NULL,
  description text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  posted_at timestamptz
);
CREATE INDEX IF NOT EXISTS transactions_created_at_idx ON transactions (created_at);

CREATE TABLE IF NOT EXISTS ledger_entries (
  id bigserial PRIMARY KEY,
  transaction_id bigint NOT NULL REFERENCES transactions (id) ON DELETE CASCADE,
  account_id bigint NOT NULL REFERENCES accounts (id),
  amount_minor bigint NOT NULL CHECK (amount_minor <> 0),
  currency char(3) NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS ledger_entries_transaction_id_idx ON ledger_entries (transaction_id);
CREATE INDEX IF NOT EXISTS ledger_entries_account_id_idx ON ledger_entries (account_id);
