using Pacs.Dicom.IO;
using Pacs.Dicom.Network.Dimse;

namespace Pacs.Dicom.Network;

/// <summary>Where a C-MOVE destination AE title lives (resolved by the application).</summary>
public sealed record DicomPeer(string AeTitle, string Host, int Port);
