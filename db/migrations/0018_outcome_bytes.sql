-- The answer a transaction got (`outcome`) is kept as the UTF-8 JSON the ledger wrote, not as jsonb. Only the
-- ledger reads it back (a retried request, an activation's replay, a return to settle), always whole; as jsonb,
-- PostgreSQL parsed and rebuilt every answer on insert and printed it back to text on every read, and the ledger
-- turned each one into a UTF-16 string for the driver. Readable in SQL as convert_from(outcome, 'UTF8')::jsonb.
alter table ledger_transactions
    alter column outcome type bytea using convert_to(outcome::text, 'UTF8'),
    alter column outcome set compression lz4;
