using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;

namespace Pacs.Gateway.Reports;

/// <summary>
/// Reads a request's JSON body with a size limit, for the report, macro and template endpoints: (body, null), or
/// (null, the problem to answer: 413 past the limit, 400 for anything that is not the expected object).
/// </summary>
internal static class JsonBody
{
    public static async Task<(T? Body, IResult? Problem)> ReadAsync<T>(HttpContext http, long maximumBytes, JsonSerializerOptions json, string shape)
        where T : class
    {
        if (http.Request.ContentLength > maximumBytes)
        {
            return (null, Problem(StatusCodes.Status413PayloadTooLarge, $"The body may hold at most {maximumBytes} bytes."));
        }

        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = maximumBytes;
        }

        try
        {
            var body = await http.Request.ReadFromJsonAsync<T>(json, http.RequestAborted).ConfigureAwait(false);
            return body is null ? (null, Problem(StatusCodes.Status400BadRequest, "A JSON object is required.")) : (body, null);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, Problem(StatusCodes.Status413PayloadTooLarge, $"The body may hold at most {maximumBytes} bytes."));
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or BadHttpRequestException)
        {
            return (null, Problem(StatusCodes.Status400BadRequest, shape));
        }
    }

    private static IResult Problem(int status, string detail) =>
        Results.Problem(title: Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status), detail: detail, statusCode: status);
}
