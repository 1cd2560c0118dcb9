-- Durable reminders for Orleans' ADO.NET reminder table (Microsoft.Orleans.Reminders.AdoNet).
-- Each silo reads the reminders of its share of the hash ring (grain_hash, a uniform 32-bit hash of
-- the grain id, stored as a signed integer); `period` is in milliseconds; `version` is the ETag.
CREATE TABLE orleans_reminders
(
    service_id    varchar(150) NOT NULL,
    grain_id      text         NOT NULL,
    reminder_name text         NOT NULL,
    start_time    timestamptz  NOT NULL,
    period        bigint       NOT NULL,
    grain_hash    integer      NOT NULL,
    version       integer      NOT NULL,
    PRIMARY KEY (service_id, grain_id, reminder_name)
);

CREATE INDEX orleans_reminders_ring ON orleans_reminders (service_id, grain_hash);

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES
('ReadReminderRowsKey', $sql$
SELECT grain_id AS GrainId, reminder_name AS ReminderName, start_time AS StartTime,
       period AS Period, version AS Version
FROM orleans_reminders
WHERE service_id = @ServiceId AND grain_id = @GrainId;
$sql$),

('ReadReminderRowKey', $sql$
SELECT grain_id AS GrainId, reminder_name AS ReminderName, start_time AS StartTime,
       period AS Period, version AS Version
FROM orleans_reminders
WHERE service_id = @ServiceId AND grain_id = @GrainId AND reminder_name = @ReminderName;
$sql$),

-- A ring range that does not wrap: (BeginHash, EndHash].
('ReadRangeRows1Key', $sql$
SELECT grain_id AS GrainId, reminder_name AS ReminderName, start_time AS StartTime,
       period AS Period, version AS Version
FROM orleans_reminders
WHERE service_id = @ServiceId AND grain_hash > @BeginHash AND grain_hash <= @EndHash;
$sql$),

-- A ring range that wraps past the top: (BeginHash, max] plus [min, EndHash].
('ReadRangeRows2Key', $sql$
SELECT grain_id AS GrainId, reminder_name AS ReminderName, start_time AS StartTime,
       period AS Period, version AS Version
FROM orleans_reminders
WHERE service_id = @ServiceId AND (grain_hash > @BeginHash OR grain_hash <= @EndHash);
$sql$),

-- Returns the row's new version (0 for a new reminder).
('UpsertReminderRowKey', $sql$
INSERT INTO orleans_reminders
    (service_id, grain_id, reminder_name, start_time, period, grain_hash, version)
VALUES (@ServiceId, @GrainId, @ReminderName, @StartTime, @Period, @GrainHash, 0)
ON CONFLICT (service_id, grain_id, reminder_name) DO UPDATE
SET start_time = excluded.start_time,
    period = excluded.period,
    grain_hash = excluded.grain_hash,
    version = orleans_reminders.version + 1
RETURNING version AS Version;
$sql$),

-- Returns 1 when the reminder at that version was removed, else 0.
('DeleteReminderRowKey', $sql$
WITH removed AS (
    DELETE FROM orleans_reminders
    WHERE service_id = @ServiceId AND grain_id = @GrainId
      AND reminder_name = @ReminderName AND version = @Version
    RETURNING 1)
SELECT count(*)::integer AS row_count FROM removed;
$sql$),

('DeleteReminderRowsKey', $sql$
DELETE FROM orleans_reminders WHERE service_id = @ServiceId;
$sql$);
