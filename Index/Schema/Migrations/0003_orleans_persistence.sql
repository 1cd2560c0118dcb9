-- Grain state for Orleans' ADO.NET grain storage (Microsoft.Orleans.Persistence.AdoNet).
-- The provider identifies a grain by two hashes (of the id and of the type, for index locality),
-- the id split into n0/n1 (guid and integer keys) or a string key (grain_id_extension), the type
-- name and the service id. State is an opaque payload produced by the configured grain storage
-- serializer (System.Text.Json in our silos). `version` is the ETag; each write moves it on by one.
-- Requires PostgreSQL 15+ (NULLS NOT DISTINCT: grains without a string key still collide).
CREATE TABLE orleans_storage
(
    grain_id_hash      integer      NOT NULL,
    grain_type_hash    integer      NOT NULL,
    service_id         varchar(150) NOT NULL,
    grain_id_n0        bigint       NOT NULL,
    grain_id_n1        bigint       NOT NULL,
    grain_type         varchar(512) NOT NULL,
    grain_id_extension varchar(512) NULL,
    payload_binary     bytea        NULL,
    modified_on        timestamptz  NOT NULL DEFAULT now(),
    version            integer      NOT NULL,
    CONSTRAINT orleans_storage_grain UNIQUE NULLS NOT DISTINCT
        (grain_id_hash, grain_type_hash, service_id, grain_id_n0, grain_id_n1, grain_type, grain_id_extension)
);

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES
-- One row back, always: the new version on success; on a lost race the version the grain sent
-- (or null for a first write), which the provider reports as an InconsistentStateException.
('WriteToStorageKey', $sql$
WITH updated AS (
    UPDATE orleans_storage
    SET payload_binary = @PayloadBinary, modified_on = now(), version = version + 1
    WHERE @GrainStateVersion IS NOT NULL
      AND grain_id_hash = @GrainIdHash AND grain_type_hash = @GrainTypeHash
      AND service_id = @ServiceId
      AND grain_id_n0 = @GrainIdN0 AND grain_id_n1 = @GrainIdN1
      AND grain_type = @GrainTypeString
      AND grain_id_extension IS NOT DISTINCT FROM @GrainIdExtensionString
      AND version = @GrainStateVersion
    RETURNING version),
inserted AS (
    INSERT INTO orleans_storage
        (grain_id_hash, grain_type_hash, service_id, grain_id_n0, grain_id_n1, grain_type,
         grain_id_extension, payload_binary, version)
    SELECT @GrainIdHash, @GrainTypeHash, @ServiceId, @GrainIdN0, @GrainIdN1, @GrainTypeString,
           @GrainIdExtensionString, @PayloadBinary, 1
    WHERE @GrainStateVersion IS NULL
    ON CONFLICT DO NOTHING
    RETURNING version)
SELECT coalesce((SELECT version FROM updated), (SELECT version FROM inserted), @GrainStateVersion)
       AS NewGrainStateVersion;
$sql$),

('ReadFromStorageKey', $sql$
SELECT payload_binary AS PayloadBinary, version AS Version
FROM orleans_storage
WHERE grain_id_hash = @GrainIdHash AND grain_type_hash = @GrainTypeHash
  AND service_id = @ServiceId
  AND grain_id_n0 = @GrainIdN0 AND grain_id_n1 = @GrainIdN1
  AND grain_type = @GrainTypeString
  AND grain_id_extension IS NOT DISTINCT FROM @GrainIdExtensionString;
$sql$),

-- Clearing keeps the row (and so the version sequence) but drops the payload.
('ClearStorageKey', $sql$
UPDATE orleans_storage
SET payload_binary = NULL, modified_on = now(), version = version + 1
WHERE grain_id_hash = @GrainIdHash AND grain_type_hash = @GrainTypeHash
  AND service_id = @ServiceId
  AND grain_id_n0 = @GrainIdN0 AND grain_id_n1 = @GrainIdN1
  AND grain_type = @GrainTypeString
  AND grain_id_extension IS NOT DISTINCT FROM @GrainIdExtensionString
  AND version = @GrainStateVersion
RETURNING version AS NewGrainStateVersion;
$sql$),

-- Used instead of ClearStorageKey when DeleteStateOnClear is set; returns a version the grain has
-- not seen so that the provider's conflict check passes.
('DeleteStorageKey', $sql$
DELETE FROM orleans_storage
WHERE grain_id_hash = @GrainIdHash AND grain_type_hash = @GrainTypeHash
  AND service_id = @ServiceId
  AND grain_id_n0 = @GrainIdN0 AND grain_id_n1 = @GrainIdN1
  AND grain_type = @GrainTypeString
  AND grain_id_extension IS NOT DISTINCT FROM @GrainIdExtensionString
  AND version = @GrainStateVersion
RETURNING version + 1 AS NewGrainStateVersion;
$sql$);
