-- Cluster membership for Orleans' ADO.NET clustering provider (Microsoft.Orleans.Clustering.AdoNet).
-- One version row per cluster (DeploymentId = ClusterOptions.ClusterId); every membership change
-- bumps it with an optimistic check on the version the silo read, which serialises writers on that
-- row's lock. Membership rows go when their cluster's version row goes.
CREATE TABLE orleans_membership_version
(
    deployment_id text        NOT NULL PRIMARY KEY,
    version       integer     NOT NULL DEFAULT 0,
    changed_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE orleans_membership
(
    deployment_id   text        NOT NULL REFERENCES orleans_membership_version (deployment_id) ON DELETE CASCADE,
    address         varchar(45) NOT NULL,
    port            integer     NOT NULL,
    generation      integer     NOT NULL,
    silo_name       text        NOT NULL,
    host_name       text        NOT NULL,
    status          integer     NOT NULL,
    proxy_port      integer     NOT NULL DEFAULT 0,
    suspect_times   text        NULL,
    start_time      timestamptz NOT NULL,
    i_am_alive_time timestamptz NOT NULL,
    PRIMARY KEY (deployment_id, address, port, generation)
);

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES
-- Returns 1 when the version row was created, 0 when it already existed.
('InsertMembershipVersionKey', $sql$
WITH created AS (
    INSERT INTO orleans_membership_version (deployment_id)
    VALUES (@DeploymentId)
    ON CONFLICT (deployment_id) DO NOTHING
    RETURNING 1)
SELECT count(*)::integer AS row_count FROM created;
$sql$),

-- Returns 1 when the silo row was added and the version moved on, 0 when the version did not match
-- or the silo is already there (both writes happen in the one statement, or neither does).
('InsertMembershipKey', $sql$
WITH bumped AS (
    UPDATE orleans_membership_version
    SET version = version + 1, changed_at = now()
    WHERE deployment_id = @DeploymentId
      AND version = @Version
      AND NOT EXISTS (
          SELECT 1 FROM orleans_membership
          WHERE deployment_id = @DeploymentId AND address = @Address
            AND port = @Port AND generation = @Generation)
    RETURNING deployment_id),
added AS (
    INSERT INTO orleans_membership
        (deployment_id, address, port, generation, silo_name, host_name, status, proxy_port,
         start_time, i_am_alive_time)
    SELECT deployment_id, @Address, @Port, @Generation, @SiloName, @HostName, @Status, @ProxyPort,
           @StartTime, @IAmAliveTime
    FROM bumped
    RETURNING 1)
SELECT count(*)::integer AS row_count FROM added;
$sql$),

-- Same contract as the insert: 1 when the row and the version both changed, else 0.
('UpdateMembershipKey', $sql$
WITH bumped AS (
    UPDATE orleans_membership_version
    SET version = version + 1, changed_at = now()
    WHERE deployment_id = @DeploymentId
      AND version = @Version
      AND EXISTS (
          SELECT 1 FROM orleans_membership
          WHERE deployment_id = @DeploymentId AND address = @Address
            AND port = @Port AND generation = @Generation)
    RETURNING deployment_id),
changed AS (
    UPDATE orleans_membership m
    SET status = @Status, suspect_times = @SuspectTimes, i_am_alive_time = @IAmAliveTime
    FROM bumped
    WHERE m.deployment_id = bumped.deployment_id AND m.address = @Address
      AND m.port = @Port AND m.generation = @Generation
    RETURNING 1)
SELECT count(*)::integer AS row_count FROM changed;
$sql$),

-- The liveness heartbeat deliberately does not touch the version (the protocol treats it as a
-- side channel); nothing is returned.
('UpdateIAmAlivetimeKey', $sql$
UPDATE orleans_membership
SET i_am_alive_time = @IAmAliveTime
WHERE deployment_id = @DeploymentId AND address = @Address
  AND port = @Port AND generation = @Generation;
$sql$),

-- The version row comes back even when the silo has no row (outer join): the provider reads the
-- table version from it and treats a null StartTime as "no entry".
('MembershipReadRowKey', $sql$
SELECT v.deployment_id AS DeploymentId,
       m.address AS Address, m.port AS Port, m.generation AS Generation,
       m.silo_name AS SiloName, m.host_name AS HostName, m.status AS Status,
       m.proxy_port AS ProxyPort, m.suspect_times AS SuspectTimes,
       m.start_time AS StartTime, m.i_am_alive_time AS IAmAliveTime,
       v.version AS Version
FROM orleans_membership_version v
LEFT JOIN orleans_membership m
       ON m.deployment_id = v.deployment_id
      AND m.address = @Address AND m.port = @Port AND m.generation = @Generation
WHERE v.deployment_id = @DeploymentId;
$sql$),

('MembershipReadAllKey', $sql$
SELECT v.deployment_id AS DeploymentId,
       m.address AS Address, m.port AS Port, m.generation AS Generation,
       m.silo_name AS SiloName, m.host_name AS HostName, m.status AS Status,
       m.proxy_port AS ProxyPort, m.suspect_times AS SuspectTimes,
       m.start_time AS StartTime, m.i_am_alive_time AS IAmAliveTime,
       v.version AS Version
FROM orleans_membership_version v
LEFT JOIN orleans_membership m ON m.deployment_id = v.deployment_id
WHERE v.deployment_id = @DeploymentId;
$sql$),

-- Cascades to the cluster's membership rows.
('DeleteMembershipTableEntriesKey', $sql$
DELETE FROM orleans_membership_version WHERE deployment_id = @DeploymentId;
$sql$),

-- Gateways are active silos (@Status carries SiloStatus.Active) that opened a gateway port.
('GatewaysQueryKey', $sql$
SELECT address AS Address, proxy_port AS ProxyPort, generation AS Generation
FROM orleans_membership
WHERE deployment_id = @DeploymentId AND status = @Status AND proxy_port > 0;
$sql$),

-- Removes silos that stopped heart-beating before @IAmAliveTime; 3 is SiloStatus.Active, which is
-- left for the membership protocol itself to declare dead.
('CleanupDefunctSiloEntriesKey', $sql$
DELETE FROM orleans_membership
WHERE deployment_id = @DeploymentId
  AND i_am_alive_time < @IAmAliveTime
  AND status <> 3;
$sql$);
