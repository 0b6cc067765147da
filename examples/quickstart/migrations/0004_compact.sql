-- ratchet:no-transaction
-- VACUUM refuses to run inside a transaction, so this file opts out of the per-migration
-- transaction. If it failed half way, ratchet would record a `failed` state and refuse further
-- runs until `ratchet repair --failed 4 --reason "..."`.
VACUUM;
