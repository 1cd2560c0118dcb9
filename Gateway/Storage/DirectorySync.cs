namespace Pacs.Gateway.Storage;

/// <summary>
/// fsync of a directory, which .NET does not offer: on Linux open(O_RDONLY|O_DIRECTORY) + fsync + close through libc.
/// Elsewhere a no-op (Windows has no such notion; NTFS journals the rename).
/// </summary>
internal static class DirectorySync
{
    public static void Fsync(string directory)
    {
        if (!Libc.Supported)
        {
            return;
        }

        var fd = Libc.Open(directory, Libc.ORdOnly | Libc.ODirectory | Libc.OCloexec, 0);
        if (fd < 0)
        {
            throw new IOException($"open({directory}) for fsync failed: errno {Libc.Errno}.");
        }

        try
        {
            if (Libc.Fsync(fd) != 0)
            {
                throw new IOException($"fsync({directory}) failed: errno {Libc.Errno}.");
            }
        }
        finally
        {
            _ = Libc.Close(fd);
        }
    }
}
