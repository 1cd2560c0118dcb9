-- Prefix matching of a patient's name in any of its three component groups (issue 17 §3). A wildcard query without
-- component delimiters ("SMITH*") is matched against each whole group (PS3.4 C.2.2.2.4; PS3.5 6.2: alphabetic,
-- ideographic and phonetic groups joined with '='), and Index/Read/IndexQuery.cs narrows each group to the range of
-- strings that start with the pattern's literal prefix: one range scan per group, OR-ed by a bitmap, instead of a
-- sequential scan of every patient. The first group is the column itself (pacs_patients_name_prefix of 0100 serves
-- it); these two serve the others. text_pattern_ops: byte order, what the ~>=~ / ~<~ bounds compare by. Existing rows
-- are indexed as the indexes are built. Only indexes change.
create index pacs_patients_name_group2_prefix on pacs_patients (split_part(patient_name_search, '=', 2) text_pattern_ops);
create index pacs_patients_name_group3_prefix on pacs_patients (split_part(patient_name_search, '=', 3) text_pattern_ops);
