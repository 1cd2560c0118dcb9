namespace Pacs.Dicom.Query;

/// <summary>
/// One matching key: the attribute, its VR, how it matches, and the level of the information model the attribute
/// belongs to (so a SQL builder knows which table, and a relational query may constrain other levels).
/// </summary>
public sealed record QueryKey(DicomTag Tag, DicomVR VR, Matching Matching, QueryLevel Level);

/// <summary>
/// One attribute to return. For a sequence, <see cref="ItemKeys"/> lists the attributes to return from each item;
/// null means the whole sequence (the request held an empty sequence, or QIDO named the sequence).
/// </summary>
public sealed record ReturnKey(DicomTag Tag, DicomVR VR, IReadOnlyList<ReturnKey>? ItemKeys = null);
