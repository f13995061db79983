-- 0002: cluster membership for Microsoft.Orleans.Clustering.AdoNet 10.4.x.
--
-- Requires 0001. Runs inside the runner's transaction (no BEGIN/COMMIT).
--
-- Contract with the provider, as read from the 10.4.2 assembly:
--   * It refuses to start unless all nine keys from UpdateIAmAlivetimeKey to
--     CleanupDefunctSiloEntriesKey exist; CleanupDefunctSiloEntryKey is
--     optional, but when present the provider uses it instead of the bulk
--     CleanupDefunctSiloEntriesKey, so both are installed.
--   * Parameters it binds: @DeploymentId (the Orleans ClusterId), @Address,
--     @Port, @Generation, @SiloName, @HostName, @Status, @ProxyPort,
--     @StartTime, @IAmAliveTime, @SuspectTimes, @Version.
--   * Columns it reads back by name: Address, Port, Generation, SiloName,
--     HostName, Status, ProxyPort, SuspectTimes, StartTime, IAmAliveTime,
--     Version (the table version doubles as the membership ETag).
--   * The insert/update queries must return exactly one column: non-zero for
--     success, zero when the ETag was stale or the row was (not) there.
--   * SiloStatus values used below: 3 = Active, 6 = Dead.
--
-- Functions carry an orleans_ prefix and names of our own, so an upstream
-- Orleans migration (which does CREATE OR REPLACE on its own function names)
-- can never collide with them; it would simply add its functions and
-- repoint the query rows.

-- One row per cluster. Its version is the optimistic-concurrency token for
-- the whole membership table: every membership change must bump it.
CREATE TABLE orleansmembershipversiontable
(
    deploymentid varchar(150) NOT NULL,
    timestamp    timestamptz  NOT NULL DEFAULT now(),
    version      integer      NOT NULL DEFAULT 0,

    CONSTRAINT pk_orleansmembershipversiontable PRIMARY KEY (deploymentid)
);

-- One row per silo incarnation; generation tells restarts on the same
-- endpoint apart.
CREATE TABLE orleansmembershiptable
(
    deploymentid varchar(150) NOT NULL,
    address      varchar(45)  NOT NULL,  -- long enough for any IPv6 literal
    port         integer      NOT NULL,
    generation   integer      NOT NULL,
    siloname     varchar(150) NOT NULL,
    hostname     varchar(150) NOT NULL,
    status       integer      NOT NULL,
    -- NOT NULL because the reader calls GetInt32 on it; 0 means "no gateway".
    proxyport    integer      NOT NULL,
    -- "silo,time|silo,time|..." as serialised by Orleans; NULL = no votes.
    suspecttimes text         NULL,
    starttime    timestamptz  NOT NULL,
    iamalivetime timestamptz  NOT NULL,

    CONSTRAINT pk_orleansmembershiptable
        PRIMARY KEY (deploymentid, address, port, generation),
    CONSTRAINT fk_orleansmembershiptable_version
        FOREIGN KEY (deploymentid)
        REFERENCES orleansmembershipversiontable (deploymentid)
);

-- Creates the cluster's version row on first start. Returns 1 if this call
-- created it, 0 if another silo got there first (both are fine for Orleans).
CREATE FUNCTION orleans_membership_insert_version(p_deployment_id varchar)
    RETURNS integer
    LANGUAGE plpgsql
AS $fn$
DECLARE
    affected integer;
BEGIN
    INSERT INTO orleansmembershipversiontable (deploymentid)
    VALUES (p_deployment_id)
    ON CONFLICT (deploymentid) DO NOTHING;

    GET DIAGNOSTICS affected = ROW_COUNT;
    RETURN affected;
END
$fn$;

-- Adds a silo's row, guarded by the table version (ETag).
CREATE FUNCTION orleans_membership_insert(
    p_deployment_id  varchar,
    p_address        varchar,
    p_port           integer,
    p_generation     integer,
    p_silo_name      varchar,
    p_host_name      varchar,
    p_status         integer,
    p_proxy_port     integer,
    p_start_time     timestamptz,
    p_i_am_alive     timestamptz,
    p_version        integer)
    RETURNS integer
    LANGUAGE plpgsql
AS $fn$
DECLARE
    affected integer;
BEGIN
    -- Everything sits in one block with a handler: the handler's implicit
    -- savepoint is taken at the start of the block, so raising OR001 undoes
    -- the version bump and the caller just sees 0 with nothing changed.
    BEGIN
        -- Bump the version first: its row lock queues concurrent writers of
        -- the same cluster, and after the wait a stale ETag matches nothing.
        -- The upper bound turns integer overflow into a plain "no".
        UPDATE orleansmembershipversiontable
           SET version = version + 1,
               timestamp = now()
         WHERE deploymentid = p_deployment_id
           AND version = p_version
           AND version < 2147483647;

        GET DIAGNOSTICS affected = ROW_COUNT;
        IF affected = 0 THEN
            RETURN 0;
        END IF;

        INSERT INTO orleansmembershiptable
            (deploymentid, address, port, generation, siloname, hostname,
             status, proxyport, starttime, iamalivetime)
        VALUES
            (p_deployment_id, p_address, p_port, p_generation, p_silo_name,
             p_host_name, p_status, p_proxy_port, p_start_time, p_i_am_alive)
        ON CONFLICT (deploymentid, address, port, generation) DO NOTHING;

        GET DIAGNOSTICS affected = ROW_COUNT;
        IF affected = 0 THEN
            RAISE SQLSTATE 'OR001';  -- silo row already there
        END IF;
        RETURN 1;
    EXCEPTION
        WHEN SQLSTATE 'OR001' THEN
            RETURN 0;
    END;
END
$fn$;

-- Changes a silo's status / suspicions, guarded by the table version (ETag).
CREATE FUNCTION orleans_membership_update(
    p_deployment_id  varchar,
    p_address        varchar,
    p_port           integer,
    p_generation     integer,
    p_status         integer,
    p_suspect_times  text,
    p_i_am_alive     timestamptz,
    p_version        integer)
    RETURNS integer
    LANGUAGE plpgsql
AS $fn$
DECLARE
    affected integer;
BEGIN
    -- Same structure, ordering and overflow guard as orleans_membership_insert.
    BEGIN
        UPDATE orleansmembershipversiontable
           SET version = version + 1,
               timestamp = now()
         WHERE deploymentid = p_deployment_id
           AND version = p_version
           AND version < 2147483647;

        GET DIAGNOSTICS affected = ROW_COUNT;
        IF affected = 0 THEN
            RETURN 0;
        END IF;

        -- IAmAliveTime is also written outside the version protocol (see
        -- UpdateIAmAlivetimeKey); GREATEST keeps a slower, older snapshot of
        -- the entry from moving a silo's liveness back in time.
        UPDATE orleansmembershiptable
           SET status       = p_status,
               suspecttimes = p_suspect_times,
               iamalivetime = GREATEST(iamalivetime, p_i_am_alive)
         WHERE deploymentid = p_deployment_id
           AND address = p_address
           AND port = p_port
           AND generation = p_generation;

        GET DIAGNOSTICS affected = ROW_COUNT;
        IF affected = 0 THEN
            RAISE SQLSTATE 'OR001';  -- no such silo
        END IF;
        RETURN 1;
    EXCEPTION
        WHEN SQLSTATE 'OR001' THEN
            RETURN 0;
    END;
END
$fn$;

-- Dollar quoting keeps the stored texts free of doubled quotes.
INSERT INTO orleansquery (querykey, querytext) VALUES

-- Heartbeat. Deliberately outside the version protocol (it would otherwise
-- contend with every membership change); the provider ignores the result.
('UpdateIAmAlivetimeKey', $q$
UPDATE orleansmembershiptable
   SET iamalivetime = GREATEST(iamalivetime, @IAmAliveTime)
 WHERE deploymentid = @DeploymentId
   AND address = @Address
   AND port = @Port
   AND generation = @Generation;
$q$),

('InsertMembershipVersionKey', $q$
SELECT orleans_membership_insert_version(@DeploymentId) AS row_count;
$q$),

('InsertMembershipKey', $q$
SELECT orleans_membership_insert(
    @DeploymentId, @Address, @Port, @Generation, @SiloName, @HostName,
    @Status, @ProxyPort, @StartTime, @IAmAliveTime, @Version) AS row_count;
$q$),

('UpdateMembershipKey', $q$
SELECT orleans_membership_update(
    @DeploymentId, @Address, @Port, @Generation, @Status, @SuspectTimes,
    @IAmAliveTime, @Version) AS row_count;
$q$),

-- Both reads start from the version row and LEFT JOIN the silos so that the
-- ETag comes back even when no silo row matches (the provider needs it to
-- insert the first row).
('MembershipReadRowKey', $q$
SELECT v.deploymentid, m.address, m.port, m.generation, m.siloname,
       m.hostname, m.status, m.proxyport, m.suspecttimes, m.starttime,
       m.iamalivetime, v.version
  FROM orleansmembershipversiontable v
  LEFT JOIN orleansmembershiptable m
         ON m.deploymentid = v.deploymentid
        AND m.address = @Address
        AND m.port = @Port
        AND m.generation = @Generation
 WHERE v.deploymentid = @DeploymentId;
$q$),

('MembershipReadAllKey', $q$
SELECT v.deploymentid, m.address, m.port, m.generation, m.siloname,
       m.hostname, m.status, m.proxyport, m.suspecttimes, m.starttime,
       m.iamalivetime, v.version
  FROM orleansmembershipversiontable v
  LEFT JOIN orleansmembershiptable m
         ON m.deploymentid = v.deploymentid
 WHERE v.deploymentid = @DeploymentId;
$q$),

-- Children first because of the foreign key.
('DeleteMembershipTableEntriesKey', $q$
DELETE FROM orleansmembershiptable WHERE deploymentid = @DeploymentId;
DELETE FROM orleansmembershipversiontable WHERE deploymentid = @DeploymentId;
$q$),

-- Used by clients to find gateways; the provider binds @Status = 3 (Active).
('GatewaysQueryKey', $q$
SELECT address, proxyport, generation
  FROM orleansmembershiptable
 WHERE deploymentid = @DeploymentId
   AND status = @Status
   AND proxyport > 0;
$q$),

-- Bulk clean-up; only used if CleanupDefunctSiloEntryKey were missing.
-- Removes only Dead silos that stopped before the cut-off and carry no
-- suspicion votes, never a silo that could still come back.
('CleanupDefunctSiloEntriesKey', $q$
DELETE FROM orleansmembershiptable
 WHERE deploymentid = @DeploymentId
   AND status = 6
   AND iamalivetime < @IAmAliveTime
   AND starttime < @IAmAliveTime
   AND COALESCE(suspecttimes, '') = '';
$q$),

-- Per-row clean-up. The provider picks rows from a MembershipReadAll and
-- passes back the values it saw; deleting only if they are all unchanged
-- means a row that moved on in between is left alone.
('CleanupDefunctSiloEntryKey', $q$
DELETE FROM orleansmembershiptable
 WHERE deploymentid = @DeploymentId
   AND address = @Address
   AND port = @Port
   AND generation = @Generation
   AND status = 6
   AND starttime = @StartTime
   AND iamalivetime = @IAmAliveTime
   AND COALESCE(suspecttimes, '') = COALESCE(@SuspectTimes, '');
$q$);
