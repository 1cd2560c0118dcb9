namespace Pacs.Gateway.Storage;

/// <summary>Linux sync_file_range(2) with SYNC_FILE_RANGE_WRITE: start writeback of a range without waiting for it.</summary>
internal static class WritebackSync
{
    public static void Start(Microsoft.Win32.SafeHandles.SafeFileHandle handle, long offset, long count)
    {
        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            // A hint: failure (an old kernel, a filesystem without support) changes nothing but speed.
            _ = Libc.SyncFileRange((int)handle.DangerousGetHandle(), offset, count, Libc.SyncFileRangeWrite);
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }
}
