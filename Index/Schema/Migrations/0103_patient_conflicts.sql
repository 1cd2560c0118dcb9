-- Conflicting patient demographics (a study whose Patient's Name, Birth Date or Sex differs from what the patient
-- row already holds). The row keeps the first committed values; every differing value is recorded here, in the same
-- transaction as the study batch that brought it, so that no acknowledged study's conflict can be lost between the
-- acknowledgement and a later notification. One row per (patient, study, attribute, incoming value).
create table pacs_patient_conflicts (
    patient_key         bigint not null references pacs_patients (patient_key) on delete cascade,
    study_instance_uid  text not null,
    attribute           text not null,
    existing            text not null,
    incoming            text not null,
    detected_at         timestamptz not null default now(),
    primary key (patient_key, study_instance_uid, attribute, incoming)
);

-- Until now the patient grains kept conflicts in their Orleans state (System.Text.Json in orleans_storage, grain
-- type "patient"). They move here; the grain keeps no state of its own any more.
insert into pacs_patient_conflicts (patient_key, study_instance_uid, attribute, existing, incoming, detected_at)
select p.patient_key, c.value ->> 'StudyInstanceUid', c.value ->> 'Attribute', c.value ->> 'Existing', c.value ->> 'Incoming',
       coalesce((c.value ->> 'DetectedAt')::timestamptz, s.modified_on)
from orleans_storage s
cross join lateral (select convert_from(s.payload_binary, 'UTF8')::jsonb as state) j
cross join lateral jsonb_array_elements(coalesce(j.state -> 'Conflicts', '[]'::jsonb)) c
join pacs_patients p
  on p.patient_id = j.state -> 'Current' ->> 'PatientId'
 and p.issuer_of_patient_id = coalesce(j.state -> 'Current' ->> 'IssuerOfPatientId', '')
where s.grain_type = 'patient' and s.payload_binary is not null
on conflict do nothing;

delete from orleans_storage where grain_type = 'patient';
