using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Pacs.EndToEnd.Tests;

/// <summary>The node registry's admin API (/api/dicom-nodes) on a running gateway: admins only, problem details.</summary>
[Collection(ArchiveCollection.Name)]
public sealed class AdminApiTests(ArchiveFixture archive)
{
    [Fact]
    public async Task Nodes_WithoutToken_Unauthorized()
    {
        using var response = await archive.Anonymous.SendAsync(archive.Request(HttpMethod.Get, "/api/dicom-nodes"));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Nodes_WrongToken_Unauthorized()
    {
        using var response = await archive.Anonymous.SendAsync(archive.Request(HttpMethod.Get, "/api/dicom-nodes", token: "nope"));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Nodes_ConfiguredDestination_IsListed()
    {
        using var response = await archive.Http.SendAsync(archive.Request(HttpMethod.Get, "/api/dicom-nodes/" + ArchiveFixture.DestinationAe));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var node = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(archive.DestinationPort, node.GetProperty("port").GetInt32());
    }

    [Fact]
    public async Task Nodes_PutGetDelete_RoundTrip()
    {
        var put = archive.Request(HttpMethod.Put, "/api/dicom-nodes/WORKSTATION1");
        put.Content = JsonContent.Create(new { host = "127.0.0.1", port = 4242, description = "reading room" });
        using (var response = await archive.Http.SendAsync(put))
        {
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        }

        var again = archive.Request(HttpMethod.Put, "/api/dicom-nodes/WORKSTATION1");
        again.Content = JsonContent.Create(new { host = "127.0.0.1", port = 4243 });
        using (var response = await archive.Http.SendAsync(again))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        using (var response = await archive.Http.SendAsync(archive.Request(HttpMethod.Get, "/api/dicom-nodes/WORKSTATION1")))
        {
            Assert.Equal(4243, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("port").GetInt32());
        }

        using (var response = await archive.Http.SendAsync(archive.Request(HttpMethod.Delete, "/api/dicom-nodes/WORKSTATION1")))
        {
            Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        }

        using (var response = await archive.Http.SendAsync(archive.Request(HttpMethod.Get, "/api/dicom-nodes/WORKSTATION1")))
        {
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
    }

    [Fact]
    public async Task Nodes_PutInvalidPort_BadRequestProblem()
    {
        var put = archive.Request(HttpMethod.Put, "/api/dicom-nodes/BAD");
        put.Content = JsonContent.Create(new { host = "127.0.0.1", port = 70000 });
        using var response = await archive.Http.SendAsync(put);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains("port", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }
}
