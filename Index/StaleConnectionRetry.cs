using System.Globalization;
using System.Text;
using Npgsql;
using NpgsqlTypes;
using Pacs.Dicom.Query;
using Pacs.Grains;

namespace Pacs.Index;

/// <summary>
/// After a PostgreSQL restart every idle pooled connection is dead and fails on first use (57P01, or a broken
/// socket). Such a failure happens before anything ran, so the operation is retried once on a fresh connection after
/// the pool is cleared; every write here is an idempotent upsert under the blob-intent claim, so a retry after an
/// ambiguous failure at COMMIT is refused or settled, never doubled.
/// </summary>
internal static class StaleConnectionRetry
{
    public static async Task<T> RunAsync<T>(NpgsqlDataSource dataSource, Func<Task<T>> operation)
    {
        try
        {
            return await operation().ConfigureAwait(false);
        }
        catch (NpgsqlException e) when (IsStaleConnection(e))
        {
            dataSource.Clear();
            return await operation().ConfigureAwait(false);
        }
    }

    private static bool IsStaleConnection(NpgsqlException e) =>
        e is PostgresException { SqlState: "57P01" or "57P02" or "57P03" }
        || (e is not PostgresException && e.InnerException is IOException or System.Net.Sockets.SocketException or EndOfStreamException);
}
