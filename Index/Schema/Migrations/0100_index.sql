-- The archive's index: the read model that C-FIND and QIDO-RS query, written only by the study grains
-- (one PostgreSQL transaction per group-committed batch). Image bytes are in the blob store; `blob_key` points there.
-- Person names are matched case- and accent-insensitively per component: *_search columns hold the names
-- normalised by Pacs.Dicom.Query (upper case, accents folded), components joined with '^' and groups with '='.

create extension if not exists pg_trgm;

create table pacs_patients (
    patient_key             bigint generated always as identity primary key,
    patient_id              text not null,
    issuer_of_patient_id    text not null default '',
    patient_name            text not null default '',
    patient_name_search     text not null default '',
    patient_birth_date      text not null default '',
    patient_sex             text not null default '',
    attributes              jsonb not null default '{}'::jsonb,   -- patient-level DICOM JSON (PS3.18 F)
    updated_at              timestamptz not null default now(),
    unique (patient_id, issuer_of_patient_id)
);
create index pacs_patients_name_trgm on pacs_patients using gin (patient_name_search gin_trgm_ops);
create index pacs_patients_name_prefix on pacs_patients (patient_name_search text_pattern_ops);

create table pacs_studies (
    study_key                   bigint generated always as identity primary key,
    study_instance_uid          text not null unique,
    patient_key                 bigint not null references pacs_patients (patient_key),
    study_date                  date,                 -- null when absent or unparseable
    study_time                  text not null default '',
    accession_number            text not null default '',
    study_id                    text not null default '',
    study_description           text not null default '',
    referring_physician_name    text not null default '',
    referring_physician_search  text not null default '',
    modalities_in_study         text[] not null default '{}',
    sop_classes_in_study        text[] not null default '{}',
    number_of_series            integer not null default 0,
    number_of_instances         integer not null default 0,
    attributes                  jsonb not null default '{}'::jsonb,   -- study-level DICOM JSON
    created_at                  timestamptz not null default now(),
    updated_at                  timestamptz not null default now()
);
create index pacs_studies_patient on pacs_studies (patient_key);
create index pacs_studies_date on pacs_studies (study_date);
create index pacs_studies_accession on pacs_studies (accession_number);
create index pacs_studies_modalities on pacs_studies using gin (modalities_in_study);
create index pacs_studies_description_trgm on pacs_studies using gin (study_description gin_trgm_ops);
create index pacs_studies_referring_trgm on pacs_studies using gin (referring_physician_search gin_trgm_ops);

create table pacs_series (
    series_key              bigint generated always as identity primary key,
    series_instance_uid     text not null unique,
    study_key               bigint not null references pacs_studies (study_key) on delete cascade,
    modality                text not null default '',
    series_number           integer,
    series_description      text not null default '',
    series_date             date,
    series_time             text not null default '',
    body_part_examined      text not null default '',
    number_of_instances     integer not null default 0,
    attributes              jsonb not null default '{}'::jsonb,   -- series-level DICOM JSON
    updated_at              timestamptz not null default now()
);
create index pacs_series_study on pacs_series (study_key);
create index pacs_series_modality on pacs_series (modality);

create table pacs_instances (
    instance_key            bigint generated always as identity primary key,
    sop_instance_uid        text not null unique,
    series_key              bigint not null references pacs_series (series_key) on delete cascade,
    study_key               bigint not null references pacs_studies (study_key) on delete cascade,
    sop_class_uid           text not null default '',
    instance_number         integer,
    transfer_syntax_uid     text not null,
    number_of_frames        integer,
    rows                    integer,
    columns                 integer,
    blob_key                text not null,        -- where the data set bytes are in the blob store
    blob_size               bigint not null,
    content_sha256          bytea not null,       -- hash of the stored bytes: same bytes again = duplicate
    header                  jsonb not null,       -- the full header as DICOM JSON without bulk data
    created_at              timestamptz not null default now()
);
create index pacs_instances_series on pacs_instances (series_key);
create index pacs_instances_study on pacs_instances (study_key);
-- The blob reconciler asks "is this blob indexed?" for every orphan candidate.
create index pacs_instances_blob on pacs_instances (blob_key);

-- C-MOVE destinations (PS3.4 C.4.2.2.1): managed by configuration and the admin API.
create table pacs_nodes (
    ae_title        text primary key,
    host            text not null,
    port            integer not null check (port between 1 and 65535),
    description     text not null default '',
    updated_at      timestamptz not null default now()
);

-- Archive events that must leave a trace: an instance replaced by different bytes, demographics conflicts...
create table pacs_audit_events (
    event_key       bigint generated always as identity primary key,
    occurred_at     timestamptz not null default now(),
    kind            text not null,
    study_instance_uid text,
    sop_instance_uid text,
    detail          jsonb not null default '{}'::jsonb
);
create index pacs_audit_events_time on pacs_audit_events (occurred_at);

-- Blobs written but not (yet) committed to the index: removed by the reconciler when older than a grace period.
create table pacs_blob_intents (
    blob_key        text primary key,
    created_at      timestamptz not null default now()
);
