using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Pacs.Gateway.Audit;
using Pacs.Index.Audit;

namespace Pacs.Gateway.Tests.Audit;

/// <summary>
/// The syslog forwarder against a local TcpListener: queued while the repository is away it keeps the newest records
/// and counts the oldest it dropped; each message is framed by octet counting (RFC 6587 3.4.1) and is an RFC 5424
/// message whose MSG is the DICOM audit XML; when the repository closes the connection it reconnects.
/// </summary>
public sealed partial class SyslogForwarderTests
{
    [Fact]
    public async Task Forwarder_QueueFullThenRepositoryUp_DropsOldestSendsNewestFramed_Reconnects()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using var forwarder = new SyslogForwarder(
            Options.Create(new SyslogOptions { Host = "127.0.0.1", Port = port, Tls = false, QueueCapacity = 3, MaxReconnectDelay = TimeSpan.FromSeconds(1) }),
            Options.Create(new GatewayHostOptions { AeTitle = "SYSLOGTEST" }), NullLogger<SyslogForwarder>.Instance);

        // Not started yet: the repository is "down"; five records into a queue of three.
        forwarder.Enqueue([.. Enumerable.Range(0, 5).Select(i => Record("actor-" + i, i == 4 ? "denied" : "success"))]);
        Assert.Equal(2, forwarder.Dropped);

        await forwarder.StartAsync(CancellationToken.None);
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            using (var first = await listener.AcceptTcpClientAsync(timeout.Token))
            {
                var stream = first.GetStream();
                var messages = new List<(int Pri, string MsgId, XElement Xml)>();
                for (var i = 0; i < 3; i++)
                {
                    messages.Add(Parse(await ReadFrameAsync(stream, timeout.Token)));
                }

                Assert.Equal(["actor-2", "actor-3", "actor-4"], messages.Select(m => Requestor(m.Xml)));
                // PS3.15 A.6: facility 10, severity 5 (notice), 4 (warning) for a refused action; MSGID DICOM+RFC3881.
                Assert.Equal([85, 85, 84], messages.Select(m => m.Pri));
                Assert.All(messages, m => Assert.Equal("DICOM+RFC3881", m.MsgId));
                Assert.All(messages, m => Assert.Equal("110114", m.Xml.Element("EventIdentification")!.Element("EventID")!.Attribute("csd-code")!.Value));
            }

            // The repository closed the connection: the forwarder reconnects. A message written into the dying
            // connection may be lost (TCP syslog has no acknowledgement), so records keep coming until one arrives.
            var accept = listener.AcceptTcpClientAsync(timeout.Token).AsTask();
            var n = 0;
            while (!accept.IsCompleted)
            {
                forwarder.Enqueue([Record("again-" + n++, "success")]);
                await Task.WhenAny(accept, Task.Delay(200, timeout.Token));
            }

            using var second = await accept;
            var again = Parse(await ReadFrameAsync(second.GetStream(), timeout.Token));
            Assert.StartsWith("again-", Requestor(again.Xml), StringComparison.Ordinal);
        }
        finally
        {
            await forwarder.StopAsync(CancellationToken.None);
        }
    }

    private static AuditRecord Record(string actor, string outcome) =>
        new() { Actor = actor, Action = "login", Outcome = outcome, ClientAddress = "10.0.0.1" };

    private static string Requestor(XElement message) =>
        message.Elements("ActiveParticipant").Single(p => p.Attribute("UserIsRequestor")!.Value == "true").Attribute("UserID")!.Value;

    /// <summary>One octet-counted frame: "MSG-LEN SP SYSLOG-MSG" (RFC 6587 3.4.1), the length checked before reading.</summary>
    internal static async Task<string> ReadFrameAsync(Stream stream, CancellationToken cancellationToken)
    {
        var length = 0;
        var one = new byte[1];
        while (true)
        {
            await stream.ReadExactlyAsync(one, cancellationToken);
            if (one[0] == (byte)' ')
            {
                break;
            }

            Assert.InRange(one[0], (byte)'0', (byte)'9');
            length = checked(length * 10 + (one[0] - '0'));
            Assert.InRange(length, 1, 1 << 20);
        }

        var message = new byte[length];
        await stream.ReadExactlyAsync(message, cancellationToken);
        return Encoding.UTF8.GetString(message);
    }

    /// <summary>RFC 5424 6: "&lt;PRI&gt;1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD MSG", SD the NILVALUE; the MSG parsed as XML.</summary>
    internal static (int Pri, string MsgId, XElement Xml) Parse(string message)
    {
        var m = Rfc5424().Match(message);
        Assert.True(m.Success, "not an RFC 5424 message: " + message);
        Assert.True(DateTimeOffset.TryParse(m.Groups["time"].Value, CultureInfo.InvariantCulture, DateTimeStyles.None, out _), m.Groups["time"].Value);
        var xml = XDocument.Parse(m.Groups["msg"].Value).Root!;
        Assert.Equal("AuditMessage", xml.Name.LocalName);
        return (int.Parse(m.Groups["pri"].Value, CultureInfo.InvariantCulture), m.Groups["msgid"].Value, xml);
    }

    [GeneratedRegex(@"^<(?<pri>\d{1,3})>1 (?<time>\S+) (?<host>[!-~]+) (?<app>[!-~]+) (?<proc>[!-~]+) (?<msgid>[!-~]+) - (?<msg><\?xml.*)$", RegexOptions.Singleline)]
    private static partial Regex Rfc5424();
}
