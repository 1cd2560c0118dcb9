-- Report macros (issue 14): short names a doctor types in the report panel ("/normchest", then space or Enter) that
-- expand to text. A row belongs to one account (owner) or to everyone (owner null: shared, changed by admins only);
-- a name is unique per owner and language (the shared ones among themselves: nulls not distinct, PostgreSQL 15).
-- One owner in code: Index/Reports/ReportMacroStore.cs.
create table pacs_report_macros (
    macro_id    bigint generated always as identity primary key,
    owner       text,
    name        text not null check (char_length(name) between 1 and 32),
    language    text not null,
    expansion   text not null,
    updated_by  text not null,
    updated_at  timestamptz not null default now()
);

-- Also the panel's lookup (owner = me or owner is null).
create unique index pacs_report_macros_owner_name on pacs_report_macros (owner, language, name) nulls not distinct;
