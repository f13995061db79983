-- 0003: grain state for Microsoft.Orleans.Persistence.AdoNet 10.4.x
-- (AddAdoNetGrainStorage, e.g. the "ledger" provider).
--
-- Requires 0001. Runs inside the runner's transaction (no BEGIN/COMMIT).
--
-- Contract with the provider, as read from the 10.4.2 assembly:
--   * Keys: WriteToStorageKey, ReadFromStorageKey, ClearStorageKey are
--     required. DeleteStorageKey is optional and only used with
--     DeleteStateOnClear = true (without it such a provider fails to start),
--     so it is installed too.
--   * Every query binds @GrainIdHash, @GrainIdN0, @GrainIdN1, @GrainTypeHash,
--     @GrainTypeString, @GrainIdExtensionString, @ServiceId; write/clear/
--     delete add @GrainStateVersion (the ETag, NULL for a never-read state);
--     write adds @PayloadBinary. Orleans 7+ serialises to binary only, so
--     the Orleans 3 JSON/XML payload columns are not created.
--   * Read returns columns PayloadBinary and Version. Write returns one
--     column NewGrainStateVersion; clear and delete return one column.
--   * ETag rule applied by the provider: if the value returned equals the
--     ETag it sent, is empty/NULL, or no row comes back while it sent an
--     ETag, it throws InconsistentStateException. So every failed
--     optimistic check below must return the old version, NULL, or no row.
--
-- A grain is identified by (service, type string, n0, n1, extension); the
-- two hashes are only there to make the lookup index small and selective.
-- String-keyed grains keep their whole key in grainidextensionstring.

CREATE TABLE orleansstorage
(
    grainidhash            integer     NOT NULL,
    grainidn0              bigint      NOT NULL,
    grainidn1              bigint      NOT NULL,
    graintypehash          integer     NOT NULL,
    graintypestring        text        NOT NULL,
    grainidextensionstring text        NULL,
    serviceid              varchar(150) NOT NULL,
    -- NULL after ClearStateAsync: the row (and its version) stays so that a
    -- stale writer is still detected; the provider reports "no record".
    payloadbinary          bytea       NULL,
    modifiedon             timestamptz NOT NULL,
    version                integer     NULL
);

-- Not unique on purpose: hashes collide, and full identity is checked by the
-- queries. Duplicate inserts are prevented in orleans_storage_write instead.
CREATE INDEX ix_orleansstorage ON orleansstorage (grainidhash, graintypehash);

CREATE FUNCTION orleans_storage_write(
    p_grain_id_hash      integer,
    p_grain_id_n0        bigint,
    p_grain_id_n1        bigint,
    p_grain_type_hash    integer,
    p_grain_type_string  text,
    p_grain_id_extension text,
    p_service_id         varchar,
    p_expected_version   integer,
    p_payload            bytea)
    RETURNS integer
    LANGUAGE plpgsql
AS $fn$
DECLARE
    affected integer;
BEGIN
    IF p_expected_version IS NOT NULL THEN
        -- State was read before: compare-and-swap on the version. A
        -- concurrent writer holding the row lock makes us wait, and the
        -- re-checked version then no longer matches.
        UPDATE orleansstorage
           SET payloadbinary = p_payload,
               modifiedon    = now(),
               version       = version + 1
         WHERE grainidhash = p_grain_id_hash
           AND graintypehash = p_grain_type_hash
           AND grainidn0 = p_grain_id_n0
           AND grainidn1 = p_grain_id_n1
           AND graintypestring = p_grain_type_string
           AND grainidextensionstring IS NOT DISTINCT FROM p_grain_id_extension
           AND serviceid = p_service_id
           AND version = p_expected_version;

        GET DIAGNOSTICS affected = ROW_COUNT;
        IF affected = 0 THEN
            -- Same value back = conflict for the provider.
            RETURN p_expected_version;
        END IF;
        RETURN p_expected_version + 1;
    END IF;

    -- No ETag: this must be the very first write of this state. With no
    -- unique key, two first writers (e.g. a duplicate activation) would both
    -- pass NOT EXISTS under READ COMMITTED; the transaction-scoped advisory
    -- lock makes the second one wait, and its NOT EXISTS then runs on a
    -- fresh snapshot that sees the first row. Unrelated grains sharing the
    -- hash pair merely queue briefly.
    PERFORM pg_advisory_xact_lock(p_grain_id_hash, p_grain_type_hash);

    INSERT INTO orleansstorage
        (grainidhash, grainidn0, grainidn1, graintypehash, graintypestring,
         grainidextensionstring, serviceid, payloadbinary, modifiedon, version)
    SELECT p_grain_id_hash, p_grain_id_n0, p_grain_id_n1, p_grain_type_hash,
           p_grain_type_string, p_grain_id_extension, p_service_id, p_payload,
           now(), 1
     WHERE NOT EXISTS (
           SELECT 1
             FROM orleansstorage
            WHERE grainidhash = p_grain_id_hash
              AND graintypehash = p_grain_type_hash
              AND grainidn0 = p_grain_id_n0
              AND grainidn1 = p_grain_id_n1
              AND graintypestring = p_grain_type_string
              AND grainidextensionstring IS NOT DISTINCT FROM p_grain_id_extension
              AND serviceid = p_service_id);

    GET DIAGNOSTICS affected = ROW_COUNT;
    IF affected = 0 THEN
        -- Someone else already stored this state: NULL = conflict.
        RETURN NULL;
    END IF;
    RETURN 1;
END
$fn$;

INSERT INTO orleansquery (querykey, querytext) VALUES

('WriteToStorageKey', $q$
SELECT orleans_storage_write(
    @GrainIdHash, @GrainIdN0, @GrainIdN1, @GrainTypeHash, @GrainTypeString,
    @GrainIdExtensionString, @ServiceId, @GrainStateVersion, @PayloadBinary
) AS newgrainstateversion;
$q$),

-- No row = no state yet (the provider then creates a default state and a
-- NULL ETag). A cleared row returns NULL payload but keeps its version.
('ReadFromStorageKey', $q$
SELECT payloadbinary, modifiedon, version
  FROM orleansstorage
 WHERE grainidhash = @GrainIdHash
   AND graintypehash = @GrainTypeHash
   AND grainidn0 = @GrainIdN0
   AND grainidn1 = @GrainIdN1
   AND graintypestring = @GrainTypeString
   AND grainidextensionstring IS NOT DISTINCT FROM @GrainIdExtensionString
   AND serviceid = @ServiceId;
$q$),

-- Keeps the row and bumps the version so a writer still holding the old
-- ETag fails. A stale ETag matches no row, which the provider treats as a
-- conflict.
('ClearStorageKey', $q$
UPDATE orleansstorage
   SET payloadbinary = NULL,
       modifiedon    = now(),
       version       = version + 1
 WHERE grainidhash = @GrainIdHash
   AND graintypehash = @GrainTypeHash
   AND grainidn0 = @GrainIdN0
   AND grainidn1 = @GrainIdN1
   AND graintypestring = @GrainTypeString
   AND grainidextensionstring IS NOT DISTINCT FROM @GrainIdExtensionString
   AND serviceid = @ServiceId
   AND version = @GrainStateVersion
RETURNING version AS newgrainstateversion;
$q$),

-- DeleteStateOnClear = true: removes the row. The value returned only has to
-- differ from the ETag sent (the provider then resets the ETag to NULL), so
-- it is the version the row would have had next.
('DeleteStorageKey', $q$
DELETE FROM orleansstorage
 WHERE grainidhash = @GrainIdHash
   AND graintypehash = @GrainTypeHash
   AND grainidn0 = @GrainIdN0
   AND grainidn1 = @GrainIdN1
   AND graintypestring = @GrainTypeString
   AND grainidextensionstring IS NOT DISTINCT FROM @GrainIdExtensionString
   AND serviceid = @ServiceId
   AND version = @GrainStateVersion
RETURNING version + 1 AS newgrainstateversion;
$q$);
