-- 0001: the query catalogue shared by Orleans' ADO.NET providers.
--
-- The clustering and grain-storage providers ship no SQL for PostgreSQL.
-- At start-up each one runs "SELECT QueryKey, QueryText FROM OrleansQuery"
-- and from then on executes only the texts it found here, looked up by
-- key. The schema is therefore ours to shape, as long as every text binds
-- the parameter names and returns the column names the provider expects
-- (see 0002 and 0003).
--
-- No BEGIN/COMMIT here: the migration runner wraps each file in a single
-- transaction and records it, so this file must not end that transaction
-- early. By hand, use `psql -1 -v ON_ERROR_STOP=1 -f <file>`.
--
-- Identifiers are lower case and unquoted. The providers write their own
-- SQL unquoted (OrleansQuery, QueryKey, ...), PostgreSQL folds that to
-- lower case, and Npgsql matches result columns by name case-insensitively.

CREATE TABLE orleansquery
(
    -- The providers look rows up by these exact, case-sensitive key strings.
    querykey  varchar(64) NOT NULL,
    -- text rather than a capped varchar: a query body has no natural limit.
    querytext text        NOT NULL,

    CONSTRAINT pk_orleansquery PRIMARY KEY (querykey)
);
