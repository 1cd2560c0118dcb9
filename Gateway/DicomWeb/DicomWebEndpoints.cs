using Microsoft.Extensions.Options;
using Pacs.Gateway.Auth;
using Pacs.Gateway.DicomWeb;
using Pacs.Gateway.DicomWeb.Rendering;
using Pacs.Gateway.Ingest;

// In the host's root namespace so that Program.cs adds DICOMweb with one line each and no using.
namespace Pacs.Gateway;

/// <summary>
/// Every DICOMweb route (PS3.18) in one place: under /dicom-web QIDO-RS, WADO-RS, metadata, frames, bulk data, rendered
/// and thumbnails, STOW-RS and DELETE; and WADO-URI at /wado. Each with the problem-details filter and the access-group
/// check (<see cref="StudyAccessFilter"/>, which leaves writes alone).
/// </summary>
public static class DicomWebEndpoints
{
    public static IServiceCollection AddDicomWeb(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<DicomWebOptions>().BindConfiguration(DicomWebOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<PixelDataLocator>();
        services.AddSingleton<ReadAdmission>();
        services.AddSingleton<SeriesMetadataCache>();
        services.AddSingleton<InstanceLookup>();
        services.AddSingleton<RenderedCache>();
        // What rendering and WADO-URI need: the index reader, blob store and pixel data locator, bundled.
        services.AddSingleton<RenderingServices>();
        return services;
    }

    public static IEndpointRouteBuilder MapDicomWeb(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        // Reads wait for a slot (ReadAdmission) before anything else is spent on them, the access check included.
        var web = app.MapGroup(DicomWebUris.Root).AddEndpointFilter<DicomWebProblemFilter>().AddEndpointFilter<ReadAdmissionFilter>()
            .AddEndpointFilter<StudyAccessFilter>();
        var bulk = new ReadClassMetadata(ReadClass.Bulk);
        // A reader's first image of a series goes before the bulk reads under way (ReadClass.Opening).
        var image = new ReadClassMetadata(ReadClass.Bulk, OpensSeries: true);

        var read = web.MapGroup("").RequireAuthorization(Policies.Read);
        // QIDO-RS (PS3.18 10.6)
        read.MapGet("/studies", QidoResource.SearchStudiesAsync);
        read.MapGet("/series", QidoResource.SearchSeriesAsync);
        read.MapGet("/instances", QidoResource.SearchInstancesAsync);
        read.MapGet("/studies/{study}/series", QidoResource.SearchStudySeriesAsync);
        read.MapGet("/studies/{study}/instances", QidoResource.SearchStudyInstancesAsync);
        read.MapGet("/studies/{study}/series/{series}/instances", QidoResource.SearchSeriesInstancesAsync);
        // WADO-RS retrieve (PS3.18 10.4)
        read.MapGet("/studies/{study}", RetrieveResource.RetrieveStudyAsync).WithMetadata(bulk);
        read.MapGet("/studies/{study}/series/{series}", RetrieveResource.RetrieveSeriesAsync).WithMetadata(bulk);
        read.MapGet("/studies/{study}/series/{series}/instances/{instance}", RetrieveResource.RetrieveInstanceAsync).WithMetadata(bulk);
        // Metadata
        read.MapGet("/studies/{study}/metadata", MetadataResource.StudyMetadataAsync);
        read.MapGet("/studies/{study}/series/{series}/metadata", MetadataResource.SeriesMetadataAsync);
        read.MapGet("/studies/{study}/series/{series}/instances/{instance}/metadata", MetadataResource.InstanceMetadataAsync);
        // Frames and bulk data
        read.MapGet("/studies/{study}/series/{series}/instances/{instance}/frames/{frames}", FramesResource.RetrieveFramesAsync).WithMetadata(image);
        read.MapGet("/studies/{study}/series/{series}/instances/{instance}/bulkdata/{**path}", BulkDataResource.RetrieveBulkDataAsync).WithMetadata(bulk);

        // Rendered resources (PS3.18 10.4.1.1.3) and thumbnails (10.4.1.1.4)
        read.MapGet("/studies/{study}/series/{series}/instances/{instance}/rendered", RenderedEndpoints.RenderedAsync).WithMetadata(image);
        read.MapGet("/studies/{study}/series/{series}/instances/{instance}/frames/{frame}/rendered", RenderedEndpoints.RenderedFrameAsync).WithMetadata(image);
        read.MapGet("/studies/{study}/series/{series}/instances/{instance}/thumbnail", RenderedEndpoints.ThumbnailAsync).WithMetadata(bulk);
        read.MapGet("/studies/{study}/series/{series}/instances/{instance}/frames/{frame}/thumbnail", RenderedEndpoints.FrameThumbnailAsync).WithMetadata(bulk);
        read.MapGet("/studies/{study}/series/{series}/thumbnail", RenderedEndpoints.SeriesThumbnailAsync).WithMetadata(bulk);
        read.MapGet("/studies/{study}/thumbnail", RenderedEndpoints.StudyThumbnailAsync).WithMetadata(bulk);

        // STOW-RS (PS3.18 10.5): the body streams into the ingest funnel
        var write = web.MapGroup("").RequireAuthorization(Policies.Write);
        write.MapPost("/studies", (HttpContext http, IngestService ingest, IOptions<DicomWebOptions> options, ILoggerFactory logs, CancellationToken ct) =>
            StowEndpoints.StoreRequestAsync(http, null, ingest, options, logs, ct));
        write.MapPost("/studies/{study}", StowEndpoints.StoreRequestAsync);

        var delete = web.MapGroup("").RequireAuthorization(Policies.Delete);
        delete.MapDelete("/studies/{study}", DeleteResource.DeleteStudyAsync);
        delete.MapDelete("/studies/{study}/series/{series}", DeleteResource.DeleteSeriesAsync);
        delete.MapDelete("/studies/{study}/series/{series}/instances/{instance}", DeleteResource.DeleteInstanceAsync);

        // WADO-URI (PS3.18 9), outside the DICOMweb root
        app.MapGet("/wado", WadoUriEndpoints.GetAsync).RequireAuthorization(Policies.Read).WithMetadata(bulk)
            .AddEndpointFilter<DicomWebProblemFilter>().AddEndpointFilter<ReadAdmissionFilter>().AddEndpointFilter<StudyAccessFilter>();
        return app;
    }
}
