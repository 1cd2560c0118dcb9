-- Access groups (one archive, many sites): each study carries the groups its instances were assigned at ingest by
-- the receiving gateway's rules (Pacs:AccessGroups); an account sees a study when they share a group ("*": all).
-- Studies stored before groups existed join the group "default".
alter table pacs_studies add column access_groups text[] not null default '{}';
update pacs_studies set access_groups = '{default}';
create index pacs_studies_access_groups on pacs_studies using gin (access_groups);
