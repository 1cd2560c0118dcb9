-- Report templates changed by admins (issue 14). The gateway ships a default set per language; a row here replaces the
-- shipped template of the same id and language, adds a new one, or retires it (retired = true: no longer offered).
-- One owner: Index/Reports/ReportTemplateStore.cs.
create table pacs_report_templates (
    template_id   text not null check (template_id ~ '^[a-z0-9-]{1,64}$'),
    language      text not null,
    modality      text not null default '',
    body_part     text not null default '',
    name          text not null default '',
    keywords      text[] not null default '{}',
    technique     text not null default '',
    comparison    text not null default '',
    findings      text not null default '',
    impression    text not null default '',
    retired       boolean not null default false,
    updated_by    text not null,
    updated_at    timestamptz not null default now(),
    primary key (template_id, language)
);
