namespace Pacs.Gateway.Audit;

/// <summary>
/// The audit action of an HTTP request, from its method and route pattern: one place that says which requests are
/// recorded (docs/security.md, "Audit trail"). Null: not recorded (the viewer's files, health, /auth/me, /login, and
/// /auth/login and /auth/token, which record themselves with the attempted username and the real reason).
/// </summary>
internal static class AuditActions
{
    public static string? Of(string method, string? pattern)
    {
        if (pattern is null)
        {
            return null;
        }

        var get = HttpMethods.IsGet(method) || HttpMethods.IsHead(method);
        if (pattern.StartsWith("/dicom-web", StringComparison.Ordinal))
        {
            if (HttpMethods.IsPost(method))
            {
                return "store";
            }

            if (HttpMethods.IsDelete(method))
            {
                return "delete";
            }

            if (!get)
            {
                return null;
            }

            if (pattern.EndsWith("/metadata", StringComparison.Ordinal))
            {
                return "view.metadata";
            }

            if (pattern.EndsWith("/rendered", StringComparison.Ordinal) || pattern.EndsWith("/thumbnail", StringComparison.Ordinal))
            {
                return "view.rendered";
            }

            if (pattern.Contains("/frames/", StringComparison.Ordinal))
            {
                return "view.frames";
            }

            if (pattern.Contains("/bulkdata/", StringComparison.Ordinal))
            {
                return "view.bulkdata";
            }
            // QIDO-RS (PS3.18 10.6): a search ends in a resource collection.
            if (pattern.EndsWith("/studies", StringComparison.Ordinal) || pattern.EndsWith("/series", StringComparison.Ordinal)
                || pattern.EndsWith("/instances", StringComparison.Ordinal))
            {
                return "query";
            }

            return "retrieve";
        }

        if (pattern == "/wado")
        {
            return get ? "retrieve" : null;
        }

        switch (pattern)
        {
            case "/auth/logout": return "logout";
            case "/auth/password": return "password.change";
            case "/auth/totp/enrol": return "totp.enrol";
            case "/auth/totp/confirm": return "totp.confirm";
            case "/auth/refresh": return "token.refresh";
            case "/auth/totp": return HttpMethods.IsDelete(method) ? "totp.remove" : null;
            case "/auth/logout-everywhere": return "logout.everywhere";
            case "/auth/me": return HttpMethods.IsPatch(method) ? "account.self.change" : null;
        }

        if (!pattern.StartsWith("/api/", StringComparison.Ordinal) || pattern.Contains("{**rest}", StringComparison.Ordinal))
        {
            return null;
        }
        // The report's editing lock is renewed by a heartbeat every 30 s while a doctor edits: the report grain records
        // the lock taken, forced and released itself (report.lock.*), not each renewal.
        if (pattern.EndsWith("/report/lock", StringComparison.Ordinal))
        {
            return null;
        }

        if (pattern.StartsWith("/api/admin/", StringComparison.Ordinal))
        {
            // The data jobs (reindex, import): their start is recorded; their progress, polled every second, is not
            // (it holds counts and blob keys, no patient data).
            var job = pattern["/api/admin/".Length..].TrimEnd('/');
            return HttpMethods.IsPost(method) ? job + ".start" : null;
        }

        // A study's access groups (AccessGroupEndpoints): a group change, with the study's UID from the route.
        // (A group's own route, MapPut(""), may come with the group prefix's trailing slash.)
        if (pattern.TrimEnd('/').EndsWith("/access-groups", StringComparison.Ordinal))
        {
            return get ? "group.read" : "group.change";
        }

        if (pattern == "/api/audit/export")
        {
            return "audit.export";
        }

        if (pattern.StartsWith("/api/users/", StringComparison.Ordinal) && pattern.EndsWith("/totp", StringComparison.Ordinal) && HttpMethods.IsDelete(method))
        {
            return "account.totp.remove";
        }

        var resource = pattern["/api/".Length..];
        var slash = resource.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0)
        {
            resource = resource[..slash];
        }

        var subject = resource switch
        {
            "users" => "account",
            "dicom-nodes" => "node",
            "conflicts" => "conflict",
            "access-groups" => "group",
            _ => resource,
        };
        if (subject == "conflict" && HttpMethods.IsPost(method) && pattern.EndsWith("/accept", StringComparison.Ordinal))
        {
            return "conflict.accept";
        }

        if (subject == "conflict" && HttpMethods.IsDelete(method))
        {
            return "conflict.discard";
        }

        return subject + (get ? ".read" : ".change");
    }

    /// <summary>success (1xx-3xx), denied (401, 403), failure (other 4xx), error (5xx).</summary>
    public static string OutcomeOf(int status) => status switch
    {
        < 400 => "success",
        401 or 403 => "denied",
        < 500 => "failure",
        _ => "error",
    };
}
