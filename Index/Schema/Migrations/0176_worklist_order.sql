-- The reporting worklist (issue 14; Index/Reports/WorklistStatement.cs): after the few reports flagged critical, stat
-- or urgent, every other study follows the study date, newest first, with the study key breaking ties. This index is
-- that order, so a page is a walk of its first offset + limit entries instead of a sort of every study (the ascending
-- pacs_studies_date, read backwards, puts studies without a date first: not the order asked for). The head's reports
-- are found by the partial index, so that reading them does not grow with the number of routine reports.
-- Only indexes change.
create index pacs_studies_worklist on pacs_studies (study_date desc nulls last, study_key desc);
create index pacs_reports_head on pacs_reports (study_instance_uid) where critical or priority <> 'routine';
