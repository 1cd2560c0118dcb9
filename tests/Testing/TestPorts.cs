using System.Net;
using System.Net.Sockets;

namespace Pacs.Testing;

/// <summary>
/// Hands out loopback TCP ports for test servers. Asking the kernel for port 0 and releasing it returns a port from
/// the ephemeral range, which the next outgoing connection (an Orleans client, Npgsql) may take as its local port, and
/// two calls may return the same number; CI once saw a gateway fail to bind the port its own silo had just been given.
/// Ports here come from below the ephemeral range (Linux default 32768–60999), are never handed out twice by one
/// process, and are reserved across test processes by a marker file, so parallel test assemblies do not collide.
/// </summary>
public static class TestPorts
{
    private const int First = 20000;
    private const int Last = 32000;
    private static readonly HashSet<int> Given = [];
    private static readonly Lock Gate = new();
    private static readonly string Reservations = Path.Combine(Path.GetTempPath(), "pacs-test-ports");

    /// <summary>A loopback port that was bindable just now and that no other caller of this method has been given.</summary>
    public static int Next()
    {
        Directory.CreateDirectory(Reservations);
        lock (Gate)
        {
            for (var attempt = 0; attempt < 2000; attempt++)
            {
                var port = Random.Shared.Next(First, Last);
                if (Given.Contains(port) || !Reserve(port) || !Bindable(port))
                {
                    continue;
                }

                Given.Add(port);
                return port;
            }
        }

        throw new InvalidOperationException($"no free loopback port between {First} and {Last}");
    }

    // A marker file older than a day is from a finished run; anything newer belongs to a running test process.
    private static bool Reserve(int port)
    {
        var marker = Path.Combine(Reservations, port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        try
        {
            using (new FileStream(marker, FileMode.CreateNew, FileAccess.Write))
            {
            }

            return true;
        }
        catch (IOException)
        {
            try
            {
                if (File.GetLastWriteTimeUtc(marker) < DateTime.UtcNow.AddDays(-1))
                {
                    File.SetLastWriteTimeUtc(marker, DateTime.UtcNow);
                    return true;
                }
            }
            catch (IOException)
            {
            }

            return false;
        }
    }

    private static bool Bindable(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
