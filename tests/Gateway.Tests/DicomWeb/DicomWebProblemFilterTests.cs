using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Logging.Abstractions;
using Pacs.Gateway.DicomWeb;
using Pacs.Grains;

namespace Pacs.Gateway.Tests.DicomWeb;

/// <summary>The one exception handler of the DICOMweb, rendering and WADO-URI routes.</summary>
public sealed class DicomWebProblemFilterTests
{
    private static async Task<object?> InvokeAsync(Exception thrown)
    {
        var filter = new DicomWebProblemFilter(NullLogger<DicomWebProblemFilter>.Instance);
        var context = new DefaultEndpointFilterInvocationContext(new DefaultHttpContext());
        return await filter.InvokeAsync(context, _ => throw thrown);
    }

    [Fact]
    public async Task Invoke_IndexUnavailable_Is503ProblemDetails()
    {
        var problem = Assert.IsType<ProblemHttpResult>(await InvokeAsync(new ArchiveIndexException("Index unavailable: refused")));
        Assert.Equal(StatusCodes.Status503ServiceUnavailable, problem.StatusCode);
        Assert.Equal("application/problem+json", problem.ContentType);
    }

    [Fact]
    public async Task Invoke_DicomWebException_KeepsItsStatus()
    {
        var problem = Assert.IsType<ProblemHttpResult>(await InvokeAsync(DicomWebException.NotFound("Instance 1.2 not found.")));
        Assert.Equal(StatusCodes.Status404NotFound, problem.StatusCode);
        Assert.Equal("Instance 1.2 not found.", problem.ProblemDetails.Detail);
    }

    [Fact]
    public async Task Invoke_OtherException_IsNotMapped() =>
        await Assert.ThrowsAsync<InvalidOperationException>(() => InvokeAsync(new InvalidOperationException("bug")));
}
