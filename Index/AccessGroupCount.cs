namespace Pacs.Index;

/// <summary>An access group as GET /api/access-groups lists it: how many studies and accounts carry it.</summary>
public sealed record AccessGroupCount(string Name, long Studies, long Accounts);
