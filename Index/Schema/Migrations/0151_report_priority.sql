-- Doctor reports (issue 14): the study's priority (routine, urgent, stat) and the critical-finding flag, in each
-- version and, for the worklist's order and filter, in the report's current state; and the record of each
-- communication of a critical finding (who was notified, how, when, by whom), for the version to be signed: a report
-- flagged critical cannot be signed without one. One owner: Index/Reports/ReportStore.cs (written by the report grain).
alter table pacs_report_versions
    add column priority text not null default 'routine' check (priority in ('routine', 'urgent', 'stat')),
    add column critical boolean not null default false;

alter table pacs_reports
    add column priority text not null default 'routine' check (priority in ('routine', 'urgent', 'stat')),
    add column critical boolean not null default false;

create table pacs_report_notifications (
    notification_id     bigint generated always as identity primary key,
    study_instance_uid  text not null references pacs_reports (study_instance_uid) on delete cascade,
    version             integer not null check (version >= 1),   -- the version the notification clears for signing
    notified            text not null,
    method              text not null check (method in ('phone', 'in-person', 'message')),
    notified_at         timestamptz not null,
    recorded_by         text not null,
    recorded_at         timestamptz not null default now()
);
create index pacs_report_notifications_study on pacs_report_notifications (study_instance_uid);
