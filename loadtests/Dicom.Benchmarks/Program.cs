using BenchmarkDotNet.Running;

// dotnet run -c Release --project loadtests/Dicom.Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(Pacs.Dicom.Benchmarks.ParseBenchmarks).Assembly).Run(args);
