using System.Globalization;
using System.Runtime.InteropServices;
using Pacs.Loadtests.ReadersLoad;

// The readers load test (issue 17 §1): N readers replay a recorded OHIF session against any DICOMweb server
// (docs/benchmarks.md, "Readers"). Usage: see Usage below.
const string Usage = """
    ReadersLoad --base URL [--base URL ...] [options]
      --base URL              a DICOMweb root (http://127.0.0.1:8080/dicom-web/, Orthanc: http://127.0.0.1:8042/dicom-web/); readers are spread round-robin
      --readers N             concurrent readers (1)
      --duration S            seconds during which readers start studies (30); a study under way at the end may finish for 60 s more;
                              SIGTERM or SIGINT (Ctrl-C) ends the duration at once (a second one ends the program)
      --studies-per-reader N  each reader reads N studies and stops (instead of --duration)
      --pause S               pause between a reader's studies (2)
      --ramp S                readers start spread over S seconds (2)
      --recording FILE        the recorded session (ohif-3.13-session.json beside the binary)
      --max-studies N         studies taken from the server's study list (200)
      --modalities CS         only studies with this modality (QIDO ModalitiesInStudy), e.g. CT
      --catalogue FILE        read the studies listed in FILE; when it does not exist, find them and write it (the runs of a
                              script then read the same studies, even after it has sent new ones)
      --user NAME             log in at --login-url (POST, JSON username/password) and send the bearer token; none: no auth
      --password PW           (or READERS_PASSWORD in the environment)
      --login-url URL         default: the first base's origin + /auth/token
      --connections N         connections per reader and host (6, HTTP/1.1 as in a browser)
      --timeout S             a request taking longer is an error "timeout" (60)
      --pid NAME=PID[,PID]    measure CPU-seconds and peak RSS of the PIDs and their descendants, summed under NAME
                              (repeatable; gateway=PID0,PID1 counts two gateways as one)
      --label TEXT            the run's name in the report (readers)
      --out FILE              write the JSON report there
    """;

string? Value(string[] a, ref int i) => i + 1 < a.Length ? a[++i] : throw new ArgumentException($"{a[i]} needs a value");

var bases = new List<Uri>();
var readers = 1;
var duration = 30.0;
int? studiesPerReader = null;
var pause = 2.0;
var ramp = 2.0;
var recordingPath = Path.Combine(AppContext.BaseDirectory, "ohif-3.13-session.json");
var maxStudies = 200;
string? modalities = null, user = null, loginUrl = null, output = null, cataloguePath = null;
var password = Environment.GetEnvironmentVariable("READERS_PASSWORD");
var connections = 6;
var timeout = 60.0;
var label = "readers";
var pids = new Dictionary<string, IReadOnlyList<int>>();
try
{
    for (var i = 0; i < args.Length; i++)
    {
        switch (args[i])
        {
            case "--base": var b = Value(args, ref i)!; bases.Add(new Uri(b.EndsWith('/') ? b : b + "/")); break;
            case "--readers": readers = int.Parse(Value(args, ref i)!, CultureInfo.InvariantCulture); break;
            case "--duration": duration = double.Parse(Value(args, ref i)!, CultureInfo.InvariantCulture); break;
            case "--studies-per-reader": studiesPerReader = int.Parse(Value(args, ref i)!, CultureInfo.InvariantCulture); break;
            case "--pause": pause = double.Parse(Value(args, ref i)!, CultureInfo.InvariantCulture); break;
            case "--ramp": ramp = double.Parse(Value(args, ref i)!, CultureInfo.InvariantCulture); break;
            case "--recording": recordingPath = Value(args, ref i)!; break;
            case "--max-studies": maxStudies = int.Parse(Value(args, ref i)!, CultureInfo.InvariantCulture); break;
            case "--modalities": modalities = Value(args, ref i); break;
            case "--catalogue": cataloguePath = Value(args, ref i); break;
            case "--user": user = Value(args, ref i); break;
            case "--password": password = Value(args, ref i); break;
            case "--login-url": loginUrl = Value(args, ref i); break;
            case "--connections": connections = int.Parse(Value(args, ref i)!, CultureInfo.InvariantCulture); break;
            case "--timeout": timeout = double.Parse(Value(args, ref i)!, CultureInfo.InvariantCulture); break;
            case "--label": label = Value(args, ref i)!; break;
            case "--out": output = Value(args, ref i); break;
            case "--pid": PidOption.Add(pids, Value(args, ref i)!); break;
            case "-h" or "--help": Console.WriteLine(Usage); return 0;
            default: throw new ArgumentException($"unknown option {args[i]}");
        }
    }
    if (bases.Count == 0)
    {
        throw new ArgumentException("at least one --base is needed");
    }

    if (readers < 1 || connections < 1 || maxStudies < 1 || pause < 0 || duration <= 0)
    {
        throw new ArgumentException("counts and durations must be positive");
    }
}
catch (Exception e) when (e is ArgumentException or FormatException or OverflowException or UriFormatException)
{
    Console.Error.WriteLine($"ReadersLoad: {e.Message}\n{Usage}");
    return 2;
}

var settings = new LoadSettings(bases, readers, TimeSpan.FromSeconds(duration), studiesPerReader, TimeSpan.FromSeconds(pause),
    TimeSpan.FromSeconds(ramp), connections, TimeSpan.FromSeconds(timeout));
// The load script's signal that the traffic measured beside the readers is over: readers stop starting studies, those
// under way finish, the report is written. A second signal is not caught (the program ends).
using var stop = new CancellationTokenSource();
void StopStarting(PosixSignalContext context)
{
    if (stop.IsCancellationRequested)
    {
        return;
    }

    context.Cancel = true;
    Console.Error.WriteLine($"ReadersLoad {label}: {context.Signal}, no new study; those under way finish");
    stop.Cancel();
}
using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, StopStarting);
using var onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, StopStarting);
var report = await ReadersLoadRunner.RunAsync(label, settings, SessionRecording.Load(recordingPath), maxStudies, modalities, user, password,
    loginUrl is null ? null : new Uri(loginUrl), pids, cataloguePath, stop.Token, CancellationToken.None);
Console.WriteLine(report.SummaryLine());
if (output is not null)
{
    await File.WriteAllTextAsync(output, report.ToJson());
}

return 0;
