-- Doctor reports (issue 14). One writer: the report grain of the study (key: Study Instance UID). pacs_reports holds
-- the current state of each study's report, so the worklist reads report status by a join, without activating grains;
-- pacs_report_versions keeps every version (a signed one is never updated again: immutable, PS3.3 C.17.2 "Verified"
-- semantics). A report goes with its study: deleting the study deletes its reports.
create table pacs_reports (
    study_instance_uid  text primary key references pacs_studies (study_instance_uid) on delete cascade,
    status              text not null check (status in ('draft', 'final', 'amended')),
    version             integer not null check (version >= 1),
    revision            integer not null check (revision >= 1),   -- bumped by every write: the ETag is version.revision
    author              text not null,
    signer              text,
    signed_at           timestamptz,
    updated_at          timestamptz not null default now()
);
create index pacs_reports_status on pacs_reports (status);

create table pacs_report_versions (
    study_instance_uid  text not null references pacs_reports (study_instance_uid) on delete cascade,
    version             integer not null check (version >= 1),
    status              text not null check (status in ('draft', 'final', 'amended')),
    language            text not null,
    technique           text not null default '',
    comparison          text not null default '',
    findings            text not null default '',
    impression          text not null default '',
    amendment_reason    text not null default '',
    author              text not null,
    signer              text,
    created_at          timestamptz not null default now(),
    updated_at          timestamptz not null default now(),
    signed_at           timestamptz,
    primary key (study_instance_uid, version)
);
