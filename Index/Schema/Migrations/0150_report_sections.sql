-- Doctor reports (issue 14): the two further sections of a radiology report (clinical information, recommendations:
-- six in all with technique, comparison, findings, impression) and the optional preliminary status between draft and
-- final (still editable by doctors). Adding a column with a constant default rewrites no row (PostgreSQL 11+).
-- One owner: Index/Reports/ReportStore.cs.
alter table pacs_report_versions
    add column clinical_information text not null default '',
    add column recommendations      text not null default '';

alter table pacs_reports drop constraint pacs_reports_status_check;
alter table pacs_reports add constraint pacs_reports_status_check check (status in ('draft', 'preliminary', 'final', 'amended'));
alter table pacs_report_versions drop constraint pacs_report_versions_status_check;
alter table pacs_report_versions add constraint pacs_report_versions_status_check check (status in ('draft', 'preliminary', 'final', 'amended'));
