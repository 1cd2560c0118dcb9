using Pacs.Gateway.Auth;
using Pacs.Index.Read;

namespace Pacs.Gateway.DicomWeb;

/// <summary>
/// Access groups on every request that names a study (route value "study", or WADO-URI's studyUID): a caller whose
/// groups the study does not share is answered 404, as for a study that does not exist (issue 12: "a study outside
/// the caller's groups answers 404, not 403"). Searches are filtered in their SQL instead (<see cref="QidoResource"/>).
/// Admins and accounts holding "*" cost nothing here. Writes (STOW into a study) are not limited by groups: an upload
/// may create the study, and its groups come from the receiving gateway's rules.
/// </summary>
internal sealed class StudyAccessFilter(IndexReader index) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (HttpMethods.IsGet(http.Request.Method) || HttpMethods.IsHead(http.Request.Method) || HttpMethods.IsDelete(http.Request.Method))
        {
            var study = http.GetRouteValue("study") as string ?? (string?)http.Request.Query["studyUID"];
            if (!string.IsNullOrEmpty(study) && http.User.StudyGroupsOf() is { } groups
                && !await index.StudyVisibleAsync(study, groups, http.RequestAborted).ConfigureAwait(false))
            {
                throw DicomWebException.NotFound("No such study.");
            }
        }

        return await next(context).ConfigureAwait(false);
    }
}
