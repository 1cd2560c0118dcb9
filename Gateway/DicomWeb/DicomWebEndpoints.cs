using Pacs.Gateway.Auth;
using Pacs.Gateway.DicomWeb;

// In the host's root namespace so that Program.cs adds DICOMweb with one line each and no using.
namespace Pacs.Gateway;

/// <summary>The DICOMweb routes (PS3.18) under /dicom-web, in one place: QIDO-RS, WADO-RS, metadata, frames, bulk data, DELETE.</summary>
public static class DicomWebEndpoints
{
    public static IServiceCollection AddDicomWeb(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<DicomWebOptions>().BindConfiguration(DicomWebOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<PixelDataLocator>();
        services.AddSingleton<SeriesMetadataCache>();
        return services;
    }

    public static IEndpointRouteBuilder MapDicomWeb(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var web = app.MapGroup(DicomWebUris.Root).AddEndpointFilter<DicomWebProblemFilter>().AddEndpointFilter<StudyAccessFilter>();

        var read = web.MapGroup("").RequireAuthorization(Policies.Read);
        // QIDO-RS (PS3.18 10.6)
        read.MapGet("/studies", QidoResource.SearchStudiesAsync);
        read.MapGet("/series", QidoResource.SearchSeriesAsync);
        read.MapGet("/instances", QidoResource.SearchInstancesAsync);
        read.MapGet("/studies/{study}/series", QidoResource.SearchStudySeriesAsync);
        read.MapGet("/studies/{study}/instances", QidoResource.SearchStudyInstancesAsync);
        read.MapGet("/studies/{study}/series/{series}/instances", QidoResource.SearchSeriesInstancesAsync);
        // WADO-RS retrieve (PS3.18 10.4)
        read.MapGet("/studies/{study}", RetrieveResource.RetrieveStudyAsync);
        read.MapGet("/studies/{study}/series/{series}", RetrieveResource.RetrieveSeriesAsync);
        read.MapGet("/studies/{study}/series/{series}/instances/{instance}", RetrieveResource.RetrieveInstanceAsync);
        // Metadata
        read.MapGet("/studies/{study}/metadata", MetadataResource.StudyMetadataAsync);
        read.MapGet("/studies/{study}/series/{series}/metadata", MetadataResource.SeriesMetadataAsync);
        read.MapGet("/studies/{study}/series/{series}/instances/{instance}/metadata", MetadataResource.InstanceMetadataAsync);
        // Frames and bulk data
        read.MapGet("/studies/{study}/series/{series}/instances/{instance}/frames/{frames}", FramesResource.RetrieveFramesAsync);
        read.MapGet("/studies/{study}/series/{series}/instances/{instance}/bulkdata/{**path}", BulkDataResource.RetrieveBulkDataAsync);

        var delete = web.MapGroup("").RequireAuthorization(Policies.Delete);
        delete.MapDelete("/studies/{study}", DeleteResource.DeleteStudyAsync);
        delete.MapDelete("/studies/{study}/series/{series}", DeleteResource.DeleteSeriesAsync);
        delete.MapDelete("/studies/{study}/series/{series}/instances/{instance}", DeleteResource.DeleteInstanceAsync);
        return app;
    }
}
