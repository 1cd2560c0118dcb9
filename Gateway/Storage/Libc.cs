using System.Runtime.InteropServices;

namespace Pacs.Gateway.Storage;

/// <summary>
/// The few Linux file calls .NET does not offer (O_DIRECT and O_DIRECTORY opens, fcntl, sync_file_range, extended
/// attributes), in one
/// place for the blob store. Flag values are Linux's; O_DIRECT and O_DIRECTORY differ between x86 and the
/// asm-generic architectures (arm64).
/// </summary>
internal static class Libc
{
    public const int ORdOnly = 0x0;
    public const int OWrOnly = 0x1;
    public const int OCreat = 0x40;
    public const int OExcl = 0x80;
    public const int OCloexec = 0x80000;
    public static readonly int ODirect = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 0x4000 : 0x10000;
    public static readonly int ODirectory = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 0x10000 : 0x4000;

    public const int FGetFl = 3;
    public const int FSetFl = 4;
    public const uint SyncFileRangeWrite = 2;

    public const int EIntr = 4;
    public const int EInval = 22;

    /// <summary>The architectures whose flag values are above (Linux only).</summary>
    public static bool Supported =>
        OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.Arm64;

    public static int Errno => Marshal.GetLastPInvokeError();

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    public static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, int mode);

    [DllImport("libc", EntryPoint = "pwrite", SetLastError = true)]
    public static extern nint Pwrite(int fd, ref byte buffer, nint count, long offset);

    [DllImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    public static extern int Fcntl(int fd, int command, int argument);

    [DllImport("libc", EntryPoint = "fsync", SetLastError = true)]
    public static extern int Fsync(int fd);

    [DllImport("libc", EntryPoint = "sync_file_range", SetLastError = true)]
    public static extern int SyncFileRange(int fd, long offset, long count, uint flags);

    [DllImport("libc", EntryPoint = "setxattr", SetLastError = true)]
    public static extern int SetXattr([MarshalAs(UnmanagedType.LPUTF8Str)] string path, [MarshalAs(UnmanagedType.LPUTF8Str)] string name, ref byte value, nint size, int flags);

    [DllImport("libc", EntryPoint = "getxattr", SetLastError = true)]
    public static extern nint GetXattr([MarshalAs(UnmanagedType.LPUTF8Str)] string path, [MarshalAs(UnmanagedType.LPUTF8Str)] string name, ref byte value, nint size);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    public static extern int Close(int fd);
}
