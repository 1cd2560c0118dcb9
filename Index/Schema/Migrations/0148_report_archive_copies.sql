-- The archived copy of each signed report version (issue 14): its PDF, signed, stored into the study as an
-- Encapsulated PDF instance (Gateway/Reports/ReportArchive.cs). archived_at: the copy is in the archive. A version
-- signed while the blob store or the database refused the copy keeps archived_at null, and the gateways' sweep
-- (ReportArchiveSweep) stores it later, also after a restart. archive_claimed_until: the gateway storing a copy holds
-- the version until then, so two gateways never store the same one at once (a gateway that dies lets it expire).
-- One owner: Index/Reports/ReportArchiveCopies.cs. Versions signed before this migration are checked once by the
-- sweep: a copy already in the index is only marked, a missing one is stored.
alter table pacs_report_versions
    add column archived_at            timestamptz,
    add column archive_claimed_until  timestamptz;
create index pacs_report_versions_unarchived on pacs_report_versions (signed_at)
    where signed_at is not null and archived_at is null;
